"""The dialogue engine: turns per second over complete scripted conversations (the five people of
tests/conversations, each from /start to the filing), and the size of a complete draft state
serialised and encrypted as the channels store it (Fernet via storage.drafts.DraftCipher).

The inputs of every conversation are recorded once by driving the engine with the scripted
person; the timed part replays them through `engine.step` alone (one core, no I/O).

With `baseline` (as `make bench` runs it), the same replay also runs against the engine of
`against` (BASELINE_COMMIT unless told), checked out as a git worktree: one worker process per tree
(bench/engine_worker.py), asked for a round in turn, so the ratio of each interleaved pair holds
however loaded the machine is."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.harness import Figure, interleaved, median, ratio_figure
from dialogues import engine
from dialogues.state import State
from dialogues.types import Context, Effect, UserInput
from storage.drafts import DraftCipher, generate_key

MIN_TURNS_PER_S = 5000
MAX_DRAFT_BYTES = 8 * 1024
# The engine before issue 10's simpler engine (flow compiled at load, one plan per turn, no memo).
BASELINE_COMMIT = "86a5de9587fccdc78806abdc0cb565df260ff106"
MIN_RATIO = 1.3
ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "engine_worker.py"


def record(name: str) -> tuple[State, list[UserInput], State, Context]:
    """(fresh state, the inputs of one complete conversation, the state at the summary, ctx)."""
    from tests.conversations import load
    from tests.conversations.drive import TODAY, context, start, to_filing

    script = load(name, TODAY)
    ctx = context()
    inputs: list[UserInput] = []
    real_step = engine.step
    at_summary: list[State] = []

    def recording_step(state: State, ui: UserInput, c: Context):  # type: ignore[no-untyped-def]
        inputs.append(ui)
        if engine.current_step(state) == "summary":
            at_summary.append(state)
        return real_step(state, ui, c)

    engine.step = recording_step  # type: ignore[assignment]
    try:
        run = start(script, ctx)
        to_filing(run, script)
    finally:
        engine.step = real_step
    fresh = engine.new_state(
        language=script.language,  # type: ignore[arg-type]
        draft_id=f"draft-{script.name}",
        preset_role=script.preset,
    )
    return fresh, inputs, at_summary[-1], ctx


def replay(fresh: State, inputs: list[UserInput], ctx: Context) -> int:
    state = fresh
    effects: list[Effect] = []
    for ui in inputs:
        state, _, effects = engine.step(state, ui, ctx)
    if not any(type(e).__name__ == "FileReferral" for e in effects):
        raise AssertionError("a replayed conversation did not end in a filing")
    return len(inputs)


def people() -> tuple[str, ...]:
    from tests.conversations import PEOPLE

    return PEOPLE


@contextmanager
def checkout(commit: str | None) -> Iterator[Path]:
    """`commit` as a detached git worktree in a temporary folder, removed afterwards (None:
    this tree as it is, uncommitted changes and all)."""
    if commit is None:
        yield ROOT
        return
    with tempfile.TemporaryDirectory(prefix="engine-base-") as folder:
        tree = Path(folder) / "tree"
        git = ["git", "-C", str(ROOT), "worktree"]
        subprocess.run([*git, "add", "--detach", "--quiet", str(tree), commit], check=True)
        try:
            yield tree
        finally:
            subprocess.run([*git, "remove", "--force", str(tree)], check=False)


class _Worker:
    """bench/engine_worker.py on one tree: ready once it has recorded and warmed up."""

    def __init__(self, tree: Path, *, json: bool = False) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), str(tree), *(["json"] if json else [])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=tree,
        )
        ready, _, shape = self._line().partition(" ")
        if ready != "ready":
            raise RuntimeError(f"the engine worker for {tree} did not start")
        self.shape = shape  # "<conversations> <turns per pass>"

    def _line(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def round(self, passes: int) -> tuple[float, float]:
        """Turns per second of `passes` passes: by the clock, and by the worker's CPU time."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{passes}\n")
        self.process.stdin.flush()
        wall, cpu = self._line().split()
        return float(wall), float(cpu)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


def compare(
    against: str,
    *,
    ours: str | None = None,
    rounds: int = 41,
    passes: int = 1,
    json: bool = False,
) -> list[Figure]:
    """The engine of `ours` (None: this tree) against `against`'s, in interleaved rounds of
    `passes` passes each: turns per CPU-second of each worker (the clock's figures are in the
    note; on a loaded machine they scatter), and whole conversations per CPU-second (each tree
    replays its own scripted people, so when a change alters the conversations the two
    figures differ). `json`: each turn as a web worker makes it, the state read from its JSON
    and written again (bench/engine_worker.py)."""
    with checkout(against) as base, checkout(ours) as mine:
        workers = {"ours": _Worker(mine, json=json), "baseline": _Worker(base, json=json)}
        try:
            measured = interleaved(
                rounds, {name: (lambda w=w: w.round(passes)) for name, w in workers.items()}
            )
        finally:
            for worker in workers.values():
                worker.close()
    shapes = {name: [int(n) for n in w.shape.split()] for name, w in workers.items()}
    cpu = {name: [c for _, c in pairs] for name, pairs in measured.items()}
    wall = {name: [w for w, _ in pairs] for name, pairs in measured.items()}

    def pair_ratios(samples: dict[str, list[float]]) -> str:
        ratios = [o / b for o, b in zip(samples["ours"], samples["baseline"], strict=True)]
        return f"{median(ratios):.2f} (range {min(ratios):.2f}-{max(ratios):.2f})"

    label = ("this tree" if ours is None else ours[:7]) + (", state through JSON" if json else "")
    turns = ratio_figure(
        f"engine turns, {label} against {against[:7]} (interleaved, CPU time)",
        "turns/s",
        cpu,
        ours="ours",
        baseline="baseline",
        min_ratio=MIN_RATIO,
        note=f"each in a git worktree, one worker process per tree; {rounds} interleaved "
        f"pairs of {passes} pass(es); median of the pair ratios {pair_ratios(cpu)}; by the "
        f"clock {median(wall['ours']):,.0f} against {median(wall['baseline']):,.0f} turns/s, "
        f"pair ratios {pair_ratios(wall)}; conversations x turns per pass: ours "
        f"{shapes['ours'][0]} x {shapes['ours'][1]}, baseline "
        f"{shapes['baseline'][0]} x {shapes['baseline'][1]}",
    )
    share = {name: convs / count for name, (convs, count) in shapes.items()}
    whole = ratio_figure(
        f"whole conversations, {label} against {against[:7]} (interleaved, CPU time)",
        "conversations/s",
        {name: [r * share[name] for r in cpu[name]] for name in cpu},
        ours="ours",
        baseline="baseline",
        min_ratio=MIN_RATIO,
        note="the same rounds counted in complete conversations (each tree's own scripted "
        "people, /start to filing)",
    )
    return [turns, whole]


def run(
    *,
    rounds: int = 7,
    passes: int = 4,
    names: tuple[str, ...] | None = None,
    baseline: bool = False,
    against: str = BASELINE_COMMIT,
) -> list[Figure]:
    conversations = [record(name) for name in (names or people())]
    for fresh, inputs, _, ctx in conversations:  # warm up
        replay(fresh, inputs, ctx)
    rates = []
    for _ in range(rounds):
        turns = 0
        start = time.perf_counter()
        for _ in range(passes):
            for fresh, inputs, _, ctx in conversations:
                turns += replay(fresh, inputs, ctx)
        rates.append(turns / (time.perf_counter() - start))
    cipher = DraftCipher([generate_key().encode()])
    sizes = {
        fresh.draft_id: (len(done.to_json().encode()), len(cipher.encrypt(done.to_json().encode())))
        for fresh, _, done, _ in conversations
    }
    plain, sealed = max(sizes.values(), key=lambda s: s[1])
    turns_per_conv = [len(c[1]) for c in conversations]
    tps = median(rates)
    compared = compare(against) if baseline else []
    return [
        Figure(
            name="engine turns (complete scripted conversations)",
            unit="turns/s",
            ours=tps,
            target=f">= {MIN_TURNS_PER_S:,} turns/s, one core",
            met=tps >= MIN_TURNS_PER_S,
            note=f"{len(conversations)} people, {sum(turns_per_conv)} turns per pass "
            f"({min(turns_per_conv)}-{max(turns_per_conv)} per conversation), "
            f"{passes} passes x {rounds} rounds",
            samples={"ours": rates},
        ),
        Figure(
            name="complete draft, serialised + encrypted (largest of the people)",
            unit="bytes",
            ours=float(sealed),
            target=f"< {MAX_DRAFT_BYTES:,} bytes",
            met=sealed < MAX_DRAFT_BYTES,
            note=f"{plain} bytes of JSON before Fernet; per person (json, encrypted): "
            + ", ".join(f"{k.removeprefix('draft-')} {v[0]}/{v[1]}" for k, v in sizes.items()),
        ),
        *compared,
    ]


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.engine --against COMMIT [--ours COMMIT]`: the comparison alone."""
    import argparse

    from bench.harness import table

    parser = argparse.ArgumentParser(prog="python -m bench.engine", description=main.__doc__)
    parser.add_argument("--against", default=BASELINE_COMMIT, help="the baseline commit")
    parser.add_argument("--ours", default=None, help="a commit (default: this tree as it is)")
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--passes", type=int, default=1)
    parser.add_argument(
        "--json", action="store_true", help="each turn reads and writes the state's JSON (web)"
    )
    args = parser.parse_args(argv)
    figures = compare(
        args.against, ours=args.ours, rounds=args.rounds, passes=args.passes, json=args.json
    )
    print(table(figures))


if __name__ == "__main__":
    main()
