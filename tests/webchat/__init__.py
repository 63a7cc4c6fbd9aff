"""Harness for the web chat in real Chromium: the `ke-intake web` process, the browser, and a
scripted person who reads what the page asks (the form's `data-step`) and answers from the
shared conversations in tests/conversations/.

axe-core 4.14.1 is vendored here from npm (`npm pack axe-core@4.14.1`, sha256 of the tarball
e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745; MPL-2.0, axe-LICENSE.txt).
"""
