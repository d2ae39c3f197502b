"""``raqib models train-ner``: reproducibly train a Stanza NER model on the ANERcorp splits, then score it.

Training is Stanza's own entry point (``python -m stanza.models.ner_tagger --mode train``) with the
options the shipped models were trained with (see ``../shared/models/stanza-ar-ner-news/README.md``):
BiLSTM-CRF defaults, batch 32, no charlm, CPU, fixed seed. The output folder is self-contained (model +
its word-vector pretrain), so ``NerTagger(out_dir)`` loads it like the shipped models; the model is then
scored on dev and test with ``raqib.tools.eval_ner`` (Stanza's entity-level scorer).

A full run is long (the news model took 53 min for 8000 steps on 2 CPU cores); ``--max-steps 20`` is a
smoke run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from raqib.tools.paths import shared_dir

SAVE_NAME = "ar_anercorp_trained_nertagger.pt"
_STEP_RE = re.compile(r": step (\d+)/\d+, loss")



def build_command(
    out_dir: Path,
    train_file: Path,
    dev_file: Path,
    pretrain: Path,
    max_steps: int,
    eval_interval: int,
    batch_size: int = 32,
    seed: int = 1234,
) -> list[str]:
    """The Stanza training command line (also printed, so a run can be repeated by hand)."""
    return [
        sys.executable, "-m", "stanza.models.ner_tagger",
        "--mode", "train",
        "--shorthand", "ar_anercorp",
        "--train_file", str(train_file),
        "--eval_file", str(dev_file),
        "--wordvec_pretrain_file", str(pretrain),
        "--save_dir", str(out_dir),
        "--save_name", SAVE_NAME,
        "--max_steps", str(max_steps),
        "--eval_interval", str(min(eval_interval, max_steps)),
        "--batch_size", str(batch_size),
        "--seed", str(seed),
        "--cpu",
    ]  # fmt: skip


def train(
    out_dir: Path,
    splits_dir: Path,
    pretrain: Path,
    max_steps: int,
    eval_interval: int = 400,
    threads: int = 2,
    seed: int = 1234,
    log_path: Path | None = None,
) -> Path:
    """Run Stanza's trainer; returns the folder holding the model and a copy of its pretrain."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = build_command(
        out_dir,
        splits_dir / "ar_anercorp.train.json",
        splits_dir / "ar_anercorp.dev.json",
        pretrain,
        max_steps,
        eval_interval,
        seed=seed,
    )
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    log_file = log_path or out_dir / "train.log"
    from raqib.tools.progress import progress

    with (
        log_file.open("w", encoding="utf-8") as log,
        progress(total=max_steps, desc="training steps", unit="step") as bar,
    ):
        log.write(" ".join(cmd) + "\n")
        log.flush()
        # Stanza logs "…: step 200/9000, loss = …" every 20 steps: the log gets every line, the bar the step.
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            step = _STEP_RE.search(line)
            if step:
                bar.update(int(step.group(1)) - bar.n)
        proc.wait()
    if proc.returncode != 0 or not (out_dir / SAVE_NAME).is_file():
        tail = log_file.read_text(encoding="utf-8")[-2000:]
        raise RuntimeError(f"Stanza training failed (exit {proc.returncode}); log {log_file}:\n{tail}")
    target = out_dir / (
        pretrain.name if pretrain.name.endswith("pretrain.pt") else pretrain.stem + ".pretrain.pt"
    )
    if not target.exists():
        shutil.copy2(pretrain, target)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``raqib models train-ner`` (also ``python -m raqib.tools.train_ner``)."""
    shared = shared_dir()
    parser = argparse.ArgumentParser(prog="raqib models train-ner", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("var/models/stanza-ar-ner-trained"))
    parser.add_argument("--max-steps", type=int, default=9000)
    parser.add_argument("--eval-interval", type=int, default=400)
    parser.add_argument(
        "--pretrain",
        type=Path,
        default=shared / "models" / "stanza-ar-ner-news" / "ar_news_ft100.pretrain.pt",
    )
    parser.add_argument("--splits", type=Path, default=shared / "data" / "ner" / "anercorp" / "splits")
    parser.add_argument("--threads", type=int, default=2, help="OMP/torch threads for training")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--no-eval", action="store_true", help="skip scoring on dev/test after training")
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    out = train(
        args.out, args.splits, args.pretrain, args.max_steps, args.eval_interval, args.threads, args.seed
    )
    train_seconds = time.perf_counter() - started
    result: dict[str, object] = {
        "model_dir": str(out),
        "model_file": SAVE_NAME,
        "max_steps": args.max_steps,
        "train_seconds": round(train_seconds, 1),
    }
    if not args.no_eval:
        from raqib.stages.ner import NerTagger
        from raqib.tools.eval_ner import evaluate

        tagger = NerTagger(
            out, model_file=SAVE_NAME, resources_dir=out / "stanza_resources", self_check=False
        )
        for split in ("dev", "test"):
            scores = evaluate(tagger, args.splits / f"ar_anercorp.{split}.json", raw_only=True)["raw"]
            result[f"{split}_f1"] = round(scores.f1 * 100, 2)
            result[f"{split}_precision"] = round(scores.precision * 100, 2)
            result[f"{split}_recall"] = round(scores.recall * 100, 2)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
