"""The peer for `cargo bench --bench render`: Typst's own PyPI binding compiling eucdoc's
templates on the same document, warm (one Compiler, reused), each compile with a different
registry number, as PDF/A-3b with tags (what eucdoc writes).

The QR code is a fixed SVG of 45 random modules a side (one rectangle per run of dark modules),
the same file in every compile, so Typst parses it once: the peer is spared encoding and parsing
a new one per document, which eucdoc's figure includes.

Usage: python typst_render.py REPO_ROOT JSON N
Prints the median, mean and fastest milliseconds per compile of N, after 5 warm-up compiles.

Or: python typst_render.py REPO_ROOT --jsonl FILE
compiles each line of FILE (distinct documents, benches/peer/distinct_documents.py) once, with
its own number, after 5 warm-up compiles of the first line, and prints the milliseconds per
document (all compiles' time over their count) and the median, as eucdoc's `render --jsonl`
is measured on the same file (scripts/bench-batch.sh).
"""

import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import typst


def qr_like_svg(modules: int = 45, quiet: int = 4) -> str:
    rng = random.Random(18004)
    path = []
    for y in range(modules):
        x = 0
        while x < modules:
            if rng.random() < 0.5:
                x += 1
                continue
            start = x
            while x < modules and rng.random() < 0.5:
                x += 1
            x = max(x, start + 1)
            path.append(f"M{start + quiet} {y + quiet}h{x - start}v1h-{x - start}z")
    full = modules + 2 * quiet
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{full}" height="{full}" '
        f'viewBox="0 0 {full} {full}" shape-rendering="crispEdges">'
        f'<rect width="{full}" height="{full}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(path)}"/></svg>'
    )


def context_json(number: str) -> str:
    return json.dumps(
        {
            "number": number,
            "check_url": f"http://127.0.0.1:8080/v1/check/{number}?sha256=" + "0" * 64,
            "sha256": "0" * 64,
            "test_document": False,
        }
    )


def main() -> None:
    repo = Path(sys.argv[1])
    if sys.argv[2] == "--jsonl":
        lines = [line for line in Path(sys.argv[3]).read_text().splitlines() if line.strip()]
        documents = [json.loads(line) for line in lines]
        runs, data = len(documents), documents[0]
    else:
        data_path, runs = Path(sys.argv[2]), int(sys.argv[3])
        data = json.loads(data_path.read_text())
        documents = None
    template = {
        "end_user_certificate": "end-user-certificate.typ",
        "import_certificate": "import-certificate.typ",
        "refusal": "refusal.typ",
    }[data["form"]]
    root = Path(tempfile.mkdtemp(prefix="typst-peer-"))
    try:
        for typ in (repo / "templates-typst").glob("*.typ"):
            shutil.copy(typ, root / typ.name)
        if documents is None:
            shutil.copy(data_path, root / "data.json")
        else:
            (root / "data.json").write_text(json.dumps(data, ensure_ascii=False))
        (root / "qr.svg").write_text(qr_like_svg())
        compiler = typst.Compiler(
            root / template,
            root=root,
            font_paths=[repo / "fonts"],
            ignore_system_fonts=True,
        )
        times = []
        for i in range(runs + 5):
            number = f"KZ-EUC-2026-{i:06d}"
            if documents is not None and i >= 5:
                document = documents[i - 5]
                number = document["number"]
                (root / "data.json").write_text(json.dumps(document, ensure_ascii=False))
            (root / "context.json").write_text(context_json(number))
            started = time.perf_counter()
            pdf = compiler.compile(format="pdf", pdf_standards="a-3b")
            elapsed = time.perf_counter() - started
            assert len(pdf) > 10_000, "the peer rendered nothing"
            if i >= 5:
                times.append(elapsed * 1000)
        if documents is not None:
            print(
                f"typst (PyPI) {template}, {runs} distinct documents: "
                f"{sum(times) / runs:.2f} ms per document, median {statistics.median(times):.2f} ms"
            )
            return
        print(
            f"typst (PyPI {typst.__version__ if hasattr(typst, '__version__') else '?'}) "
            f"{template}: median {statistics.median(times):.2f} ms, "
            f"mean {statistics.mean(times):.2f} ms, fastest {min(times):.2f} ms over {runs}"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
