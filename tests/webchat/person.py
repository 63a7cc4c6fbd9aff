"""A scripted person in the browser: reads the step the page asks (`form#turn[data-step]`) and
answers it from a shared conversation script, by keyboard: typing and Enter, or Tab to a quick
reply button and Space. Works the same with JavaScript on (in-place updates) and off (posts)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.conversations import PDF_BYTES, UPLOAD, Script, answer_for

CODE = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}\b")
REFERENCE = re.compile(r"KE-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


class Person:
    def __init__(self, page: Any, *, js: bool, tmp: Path, keyboard: Any = None) -> None:
        self.page = page  # a Page, or a Frame (then pass the page's keyboard)
        self.keyboard = keyboard or page.keyboard
        self.js = js
        self.tmp = tmp
        self.steps: list[str] = []

    # -- reading the page ------------------------------------------------------------------

    def step(self) -> str | None:
        form = self.page.query_selector("form#turn")
        return form.get_attribute("data-step") if form else None

    def optional(self) -> bool:
        return self.page.get_attribute("form#turn", "data-optional") == "true"

    def last_id(self) -> str:
        value = self.page.evaluate(
            "() => { const m = document.querySelector('#log .msg:last-child');"
            " return m ? m.dataset.id : ''; }"
        )
        return str(value)

    def code(self) -> str:
        """The resume code the page shows (in the "continue later" disclosure)."""
        text = str(self.page.text_content("#main"))
        found = CODE.search(text)
        assert found, "no resume code on the page"
        return found.group(0)

    def transcript(self) -> str:
        return str(self.page.inner_text("#log"))

    # -- acting ----------------------------------------------------------------------------

    def act(self, action: Any) -> None:
        """Do `action` and wait for the conversation to answer."""
        if not self.js:
            with self.page.expect_navigation():
                action()
            return
        before = self.last_id()
        action()
        self.page.wait_for_function(
            "(before) => { const m = document.querySelector('#log .msg:last-child');"
            " return m && m.dataset.id !== before && !document.querySelector('[aria-busy]'); }",
            arg=before,
        )

    def type(self, text: str) -> None:
        def go() -> None:
            field = self.page.locator("#answer")
            field.fill(text)
            field.press("Enter")

        self.act(go)

    def press(self, value: str, name: str = "choice") -> None:
        """A button by its value, reached by keyboard focus and pressed with Space."""
        button = self.page.locator(f'form#turn button[name="{name}"][value="{value}"]')

        def go() -> None:
            button.focus()
            self.keyboard.press("Space")

        self.act(go)

    def upload(self, content: bytes = PDF_BYTES, name: str = "fullmakt.pdf") -> None:
        path = self.tmp / name
        path.write_bytes(content)
        self.page.set_input_files("#file", str(path))
        self.act(lambda: self.page.locator('form#turn button[name="go"]').click())

    def answer(self, script: Script) -> None:
        step = self.step()
        assert step is not None, "nothing is asked"
        self.steps.append(step)
        value = answer_for(script, step, self.optional())
        if value is None:
            raise AssertionError(f"{script.name} has no answer for {step}")
        if value == UPLOAD:
            self.upload()
            return
        buttons = self.page.locator(f'form#turn button[name="choice"][value="{value}"]')
        if buttons.count() == 1:
            self.press(value)
            return
        self.type(value)

    def complete(self, script: Script, limit: int = 150) -> str:
        """Answer until the receipt; returns its reference."""
        for _ in range(limit):
            if self.step() is None:
                break
            self.answer(script)
        found = REFERENCE.search(self.transcript())
        assert found, f"no receipt; last steps {self.steps[-5:]}\n{self.transcript()[-2000:]}"
        return found.group(0)
