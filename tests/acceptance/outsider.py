"""What an outsider has: the processes DESIGN.md names, configured only through its
environment variables, and HTTP. Nothing here imports the `hotline` package.

`Deployment` runs `hotline db upgrade`, `hotline serve` and `hotline worker` as
subprocesses; `Api` is an agent's HTTP client; `tests.acceptance.voice_engine` drives
calls into it the way Twilio does.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import secrets
import signal
import socket
import struct
import subprocess
import time
import wave
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from twilio.request_validator import RequestValidator

from tests.fakes.twilio_api import fake_for

REPO = Path(__file__).resolve().parents[2]
HOTLINE_BIN = str(REPO / ".venv" / "bin" / "hotline")

ACCOUNT_SID = "AC" + "5a" * 16
AUTH_TOKEN = "0123456789abcdef" * 2  # the shape of a real Twilio auth token: 32 hex
PUBLIC_URL = "https://hotline.example.org"
HOTLINE_NUMBER = "+81500000000"
SECRET_KEY = "acceptance-secret-key-not-for-production"
GOOGLE_PROJECT = "hotline-acceptance"

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], T | None], *, timeout: float = 20.0, what: str = "") -> T:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or check}: {last!r}")


def make_wav(seconds: float = 3.0, frequency: float = 440.0) -> bytes:
    """A short 8 kHz mono 16-bit PCM WAV, as Twilio records calls."""
    rate = 8000
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * frequency * i / rate)))
            for i in range(int(rate * seconds))
        )
        w.writeframes(frames)
    return buffer.getvalue()


def country_of(number: str) -> str:
    """The ISO country Twilio's lookup would report for our made-up numbers."""
    for prefix, country in (("+81", "JP"), ("+84", "VN"), ("+977", "NP"), ("+855", "KH")):
        if number.startswith(prefix):
            return country
    return ""


# --- the deployment ------------------------------------------------------------------


@dataclass
class Agent:
    id: int | None
    token: str
    output: str


@dataclass
class Deployment:
    """The three commands of DESIGN.md, run as an operator would run them."""

    env: dict[str, str]
    instance_path: Path
    port: int = field(default_factory=free_port)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def full_env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ")}
        return {**keep, **self.env}

    def cli(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [HOTLINE_BIN, *args],
            env=self.full_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.instance_path,
        )

    def start(self, *, stagger: bool = False) -> None:
        """Migrate, then start web and worker together as a Procfile does (or the
        worker only once the web answers, with `stagger`)."""
        upgraded = self.cli("db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
        serve = [
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            "1",
            "--threads",
            "4",
        ]
        self._spawn("serve", serve)
        if stagger:
            wait_for(self._healthy, timeout=30, what="GET /healthz")
        self._spawn("worker", ["worker", "--relay-interval", "0.5"])
        wait_for(self._healthy, timeout=30, what="GET /healthz")

    def _spawn(self, name: str, args: list[str]) -> None:
        log = self.instance_path / f"{name}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [HOTLINE_BIN, *args],
                env=self.full_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.instance_path,
                start_new_session=True,  # its own process group: teardown ends all of it
            )
        self.procs.append(proc)

    def _healthy(self) -> bool:
        for proc in self.procs:
            if proc.poll() is not None:
                raise AssertionError(f"a hotline process exited early:\n{self.log_text()}")
        try:
            return requests.get(self.base_url + "/healthz", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    def log_text(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
            for p in self.logs
            if p.exists()
        )

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        for proc in self.procs:
            # anything left in the group (gunicorn workers, RQ work horses)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs.clear()

    def leftover_pids(self) -> list[int]:
        """Processes still running whose command line, environment or working folder is
        our instance's."""
        found = []
        marker = str(self.instance_path)
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
                environ = (entry / "environ").read_bytes().decode(errors="replace")
                cwd = str((entry / "cwd").resolve())
            except OSError:
                continue
            # Embedded redis-servers daemonize (own session) and run in the instance folder.
            if marker in cmdline or marker in environ or cwd == str(self.instance_path.resolve()):
                found.append(int(entry.name))
        return found

    # --- what outsiders do -------------------------------------------------------------

    def add_agent(self, name: str, languages: str, phone: str | None = None) -> Agent:
        args = ["agent", "add", "--name", name, "--languages", languages]
        if phone:
            args += ["--phone", phone]
        done = self.cli(*args)
        assert done.returncode == 0, done.stdout + done.stderr
        lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
        token = lines[-1].split()[-1]  # the token is printed last, on its own
        found = re.search(r"agent (\d+)", done.stdout)
        return Agent(int(found.group(1)) if found else None, token, done.stdout)

    def api(self, agent: Agent | str | None) -> Api:
        token = agent.token if isinstance(agent, Agent) else agent
        return Api(self.base_url, token)

    def twilio_post(
        self,
        path: str,
        params: dict[str, Any],
        *,
        token: str = AUTH_TOKEN,
        signed_url: str | None = None,
        signature: str | None = None,
    ) -> requests.Response:
        """POST form data to `path` (may hold a query), signed for the public URL."""
        url = signed_url if signed_url is not None else PUBLIC_URL + path
        if signature is None:
            signature = RequestValidator(token).compute_signature(url, params)
        return requests.post(
            self.base_url + path,
            data=urlencode(params, doseq=True),
            headers={
                "X-Twilio-Signature": signature,
                "Content-Type": "application/x-www-form-urlencoded",
            },
            timeout=10,
        )

    def sms(
        self, from_number: str, body: str, *, sid: str | None = None, **extra: str
    ) -> SmsAnswer:
        sid = sid or "SM" + secrets.token_hex(16)
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "SmsMessageSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": from_number,
            "To": HOTLINE_NUMBER,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
            "FromCity": "",
            "FromCountry": country_of(from_number),
            "FromState": "",
            "FromZip": "",
            "ToCity": "",
            "ToCountry": "JP",
            "ToState": "",
            "ToZip": "",
            **extra,
        }
        fake = fake_for(self.env.get("TWILIO_API_URL"))
        before = len(fake.messages) if fake is not None else 0
        response = self.twilio_post("/sms/incoming", params)
        if response.status_code != 200 or fake is None:
            return SmsAnswer(response, [])
        self.worker_done_with(sid)
        to = {from_number, "+" + from_number.lstrip("+")}
        sent = [str(m["Body"]) for m in fake.messages[before:] if m["To"] in to]
        return SmsAnswer(response, sent)

    def worker_done_with(self, sid: str, timeout: float = 30.0) -> None:
        """Until the worker has processed the text `sid` and handed every reply it
        recorded to the REST API (read from the deployment's database)."""
        from sqlalchemy import create_engine, text

        from hotline.config import load_settings

        settings = load_settings(self.full_env(), instance_path=self.instance_path)
        engine = create_engine(settings.database_url)
        try:

            def done() -> bool | None:
                with engine.connect() as conn:
                    processed = conn.execute(
                        text(
                            "SELECT 1 FROM sms_deliveries WHERE sid = :sid"
                            " AND (processed_at IS NOT NULL OR failed_at IS NOT NULL)"
                        ),
                        {"sid": sid},
                    ).first()
                    sending = conn.execute(
                        text(
                            "SELECT count(*) FROM outbox_jobs WHERE name = 'sms.send'"
                            " AND done_at IS NULL AND failed_at IS NULL"
                        )
                    ).scalar()
                return True if processed is not None and not sending else None

            wait_for(done, timeout=timeout, what="the worker to process the text and reply")
        finally:
            engine.dispose()

    def get_public(self, url: str) -> requests.Response:
        """GET a URL the product handed to Twilio, reached through the local port."""
        parts = urlsplit(urljoin(PUBLIC_URL + "/", url))
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return requests.get(self.base_url + path, timeout=10)


class Api:
    def __init__(self, base_url: str, token: str | None) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base_url + path, timeout=10)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.post(self.base_url + path, json=json, timeout=15, **kwargs)


# --- the agent API's published description -----------------------------------------------


def assert_conforms(
    openapi: dict[str, Any], method: str, path: str, response: requests.Response
) -> None:
    """The response's status is documented for this operation and its body matches."""
    from jsonschema import Draft202012Validator

    operation = openapi["paths"][path][method.lower()]
    documented = operation["responses"]
    status = str(response.status_code)
    assert status in documented, (
        f"{method} {path} answered {status}, not documented ({sorted(documented)}): "
        f"{response.text[:300]}"
    )
    content = documented[status].get("content", {}).get("application/json")
    if content is None:
        return
    schema = {**content["schema"], "components": openapi.get("components", {})}
    errors = sorted(
        Draft202012Validator(schema).iter_errors(response.json()), key=lambda e: list(e.path)
    )
    assert not errors, f"{method} {path} {status} does not match its schema: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors[:5]
    )


VIETNAMESE_LETTERS = set("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")


def looks_vietnamese(text: str) -> bool:
    return any(ch in VIETNAMESE_LETTERS for ch in text.lower())


@dataclass
class SmsAnswer:
    """The webhook's answer to a text (empty TwiML) and the replies the worker then sent
    to the sender through Twilio's REST API (the fake), in order."""

    response: requests.Response
    replies: list[str]

    @property
    def status_code(self) -> int:
        return int(self.response.status_code)

    @property
    def text(self) -> str:
        return str(self.response.text)

    @property
    def headers(self) -> Any:
        return self.response.headers


def sms_reply(answer: SmsAnswer) -> list[str]:
    """The replies a text got (empty list: silence), after an empty TwiML answer."""
    assert answer.status_code == 200, (answer.status_code, answer.text)
    root = ET.fromstring(answer.text)  # noqa: S314 - the product's own answer
    assert root.tag == "Response" and list(root) == [], answer.text
    return [reply.strip() for reply in answer.replies]
