"""One side of the engine comparison: replays the scripted conversations with the engine of one
source tree, a round at a time, when asked on stdin.

    python bench/engine_worker.py TREE [json]  # TREE: a checkout (ours, or a baseline worktree)

Run as a script, not imported: it puts TREE first on sys.path, so `dialogues`, `tests` and
`bench.engine` (record, replay, people) are that tree's, whatever this interpreter has installed.
It prints "ready <conversations> <turns per pass>" once every conversation is recorded and
replayed once (warm), then answers each line "PASSES" with the turns per second of that many
passes over every conversation, by the clock and by this process's CPU time (on a machine
other work keeps busy, the CPU time is what the engine itself cost); it ends at end of input.
Both sides wait on their stdin while the other runs, so they never share the CPU.

With `json`, every turn is replayed as a web worker makes it: the state read from its JSON
(`State.from_json`), the step, the new state written (`State.to_json`), with TREE's own two; a
channel keeps the state as that text between turns.
"""

from __future__ import annotations

import sys
import time


def main(tree: str, mode: str = "") -> None:
    sys.path.insert(0, tree)
    from bench.engine import people, record, replay

    if mode == "json":
        replay = _through_json

    conversations = [record(name) for name in people()]
    turns = sum(replay(fresh, inputs, ctx) for fresh, inputs, _, ctx in conversations)
    print(f"ready {len(conversations)} {turns}", flush=True)
    for line in sys.stdin:
        passes = int(line)
        turns = 0
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(passes):
            for fresh, inputs, _, ctx in conversations:
                turns += replay(fresh, inputs, ctx)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(turns / wall, turns / max(cpu, 1e-9), flush=True)


def _through_json(fresh, inputs, ctx):  # type: ignore[no-untyped-def]
    """bench.engine.replay with the state kept as its JSON between turns."""
    from dialogues import engine
    from dialogues.state import State

    text = fresh.to_json()
    effects = []
    for ui in inputs:
        state, _, effects = engine.step(State.from_json(text), ui, ctx)
        text = state.to_json()
    if not any(type(e).__name__ == "FileReferral" for e in effects):
        raise AssertionError("a replayed conversation did not end in a filing")
    return len(inputs)


if __name__ == "__main__":
    main(*sys.argv[1:3])
