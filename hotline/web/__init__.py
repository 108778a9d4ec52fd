"""The agent web app: server-rendered pages over the same services as the agent API."""
