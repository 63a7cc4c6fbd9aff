"""The web chat for the fault suite: `ke-intake web` workers as real processes (drafts in the
private Redis, the inbox in the private PostgreSQL), and people posting the forms over HTTP as
chat.js does (no browser: the faults are on the server side)."""

from __future__ import annotations

import datetime as dt
import html
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.web.security import COOKIE
from dialogues import flow
from tests.conversations import Script, answer_for, load
from tests.faults.services import free_port
from tests.serving import KE_INTAKE

STEP = re.compile(r'data-step="([^"]+)"')
OPTIONAL = re.compile(r'data-optional="(true|false)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
REFERENCE = re.compile(r"KE-[0-9A-Z]{4}-[0-9A-Z]{4}")
ACCEPT = {"nb": "nb-NO,nb;q=0.9", "nn": "nn-NO,nn;q=0.9", "en": "en-GB,en;q=0.9"}


@dataclass
class Worker:
    """One `ke-intake web` process; `start` again after `kill` on the same port."""

    env: dict[str, str]
    folder: Path
    name: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.folder / f"{self.name}-{len(self.logs)}.log"
        self.logs.append(log)
        argv = [str(KE_INTAKE), "web", "--host", "127.0.0.1", "--port", str(self.port)]
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                argv, cwd=self.folder, env=self.env, stdout=out, stderr=out
            )
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, f"{self.name} exited:\n{self.log_text()}"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{self.name} did not start:\n{self.log_text()}"
            time.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.terminate()
        try:
            return self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(5)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())


class WebPerson:
    """A scripted person (tests/conversations) on the web chat, one form post at a time, on
    whichever worker it is told to use."""

    def __init__(self, name: str, *, kommune: str = "Oslo") -> None:
        self.script: Script = load(name, dt.date.today())
        self.script.answers["kommune"] = kommune  # the kommune whose KE key is registered
        self.language = self.script.language
        self.cookie = ""
        self.html = ""  # the last page
        self.status = 0
        self.pages: list[str] = []

    def _headers(self) -> dict[str, str]:
        headers = {"accept-language": ACCEPT[self.language]}
        if self.cookie:
            headers["cookie"] = f"{COOKIE}={self.cookie}"
        return headers

    def _took(self, response: httpx.Response) -> str:
        for value in response.headers.get_list("set-cookie"):
            name, _, rest = value.partition("=")
            if name == COOKIE:
                self.cookie = rest.split(";")[0]
        self.status, self.html = response.status_code, response.text
        if not response.is_redirect:  # a post's answer is the page it leads to
            self.pages.append(self.html)
        return self.html

    def open(self, worker: Worker) -> str:
        """GET / (the first page, or the conversation as it stands)."""
        query = f"?lang={self.language}" if not self.cookie else ""
        response = httpx.get(f"{worker.url}/{query}", headers=self._headers(), timeout=60)
        return self._took(response)

    def post(self, worker: Worker, fields: dict[str, str], *, timeout: float = 60) -> str:
        """POST /turn with the page's form token; returns the page or fragment it answers with."""
        tokens = CSRF.findall(self.html)
        data: dict[str, Any] = {"csrf": tokens[-1] if tokens else "", **fields}
        if not self.cookie:
            data |= {"first": "1", "lang": self.language, "role": self.script.preset or ""}
        # As chat.js posts: the answer is the conversation fragment (one request, no redirect).
        headers = self._headers() | {"x-ke-partial": "1"}
        response = httpx.post(f"{worker.url}/turn", data=data, headers=headers, timeout=timeout)
        self._took(response)
        if response.status_code == 303:
            return self.open(worker)
        return self.html

    def step(self) -> str | None:
        found = STEP.findall(self.html)
        return found[-1] if found else None

    def answer(self, worker: Worker) -> str:
        step = self.step()
        assert step is not None, "no question on the page"
        optional = (OPTIONAL.findall(self.html) or ["false"])[-1] == "true"
        answer = answer_for(self.script, step, optional)
        assert answer is not None, f"{self.script.name}: no answer for {step}"
        return self.post(worker, {"text": answer})

    def until_summary(self, workers: list[Worker], limit: int = 150) -> None:
        """Answer until the summary, every page from the next worker in turn."""
        self.open(workers[0])
        for turn in range(limit):
            if self.step() == "summary":
                return
            self.answer(workers[turn % len(workers)])
            assert self.status == 200, f"{self.script.name}: status {self.status}"
        raise AssertionError(f"{self.script.name}: the summary was not reached")

    def send(self, worker: Worker, *, timeout: float = 60) -> str:
        return self.post(worker, {"text": "send"}, timeout=timeout)

    def told(self, key: str) -> bool:
        """The last page says the dialogue text `key` in the person's language."""
        return flow.text(self.language, key) in html.unescape(self.html)  # type: ignore[arg-type]

    def receipts(self) -> set[str]:
        """The references this person was given (a filed page names its reference)."""
        return {
            m.group(0)
            for page in self.pages
            if flow.text(self.language, "filed.contact") in html.unescape(page)  # type: ignore[arg-type]
            for m in REFERENCE.finditer(page)
        }
