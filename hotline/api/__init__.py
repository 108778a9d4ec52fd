"""All of `/api/*`: the agent JSON API on one blueprint (`common.py`), its views by
resource (`agents.py`, `handover.py`, `waiting.py`, `directory.py`, `reports.py`,
`voicemails.py`), and beside them the OpenAPI document (`openapi*.py`) that describes
every route; tests/api/test_url_map.py checks that the two agree. `blueprint.py` puts
the views together for the app factory."""
