"""The paper-msrvtt projection of the GPU benchmark: measured step time x steps + each fixed cost
of a run that is not a training step, measured here (see bench_gpu.py)."""

from __future__ import annotations

import copy

import numpy as np
from gpu_setup import Bench, free, project_side, timed

#: the paper-msrvtt run projected: 9,000 clips, batch 64, 20 epochs, 20 captions per clip
PAPER = {"clips": 9000, "batch": 64, "epochs": 20, "captions": 20, "test": 1000}
#: its cells for one seed: 3 teachers (translate-train), zero-shot, translate-train, 3 c2kd
#: students and one pooled; 4 encoders (3 teachers, the student); a teacher tokenises the
#: training captions twice (at its limit, and at the students' for the cached targets)
CELLS = {"nine_languages": 8, "english_only": 1}
ENCODERS, TEACHERS, TOKENISATIONS = 4, 3, 7


def _fixed_costs(bench: Bench) -> dict[str, tuple[float, str]]:
    """Seconds per occurrence of each fixed cost of a paper-msrvtt cell, measured here (on
    samples where the paper's size would take long, scaled linearly), and how."""
    from safetensors.torch import save_file
    from transformers import AutoModel, AutoTokenizer

    from c2kd_analyze.distill.captions import caption_tables
    from c2kd_analyze.distill.evaluate import embed_test, evaluate
    from c2kd_analyze.distill.inputs import TokenizedTexts, embed_texts, embed_videos

    ds, device, p = bench.dataset, bench.device, bench.precision
    tokenizer = AutoTokenizer.from_pretrained(str(bench.folder))
    tables = caption_tables(ds.train, ds.languages)
    n_caps = sum(len(t.texts) for t in tables.values())
    _, tok_s = timed(lambda: TokenizedTexts(tables, tokenizer, 35, "", device))
    full_caps = PAPER["clips"] * PAPER["captions"] * len(ds.languages)
    _, load_s = timed(lambda: AutoModel.from_pretrained(str(bench.folder)))
    model = bench.project_model()
    _, copy_s = timed(lambda: copy.deepcopy(model).to(device))
    n_en = len(bench.texts.tables["en"].texts)

    def targets():
        embed_texts(model, bench.texts, "en", np.arange(n_en), precision=p)
        embed_videos(model, bench.frames, bench.mask, precision=p)

    _, target_s = timed(targets)
    target_scale = PAPER["clips"] / ds.train.n_clips
    test_tables = caption_tables(ds.test, ds.languages)
    test_texts = TokenizedTexts(test_tables, tokenizer, 40, "", device)
    frames = bench.frames.new_tensor(np.ascontiguousarray(ds.test.features[:, :30]))
    mask = bench.mask.new_tensor(np.ascontiguousarray(ds.test.mask[:, :30]))

    def evaluation():
        emb = embed_test(model, test_texts, frames, mask, ds.languages, precision=p)
        return evaluate(emb, ds.test.n_queries, ("t2v", "v2t"))

    _, eval_s = timed(evaluation)
    state = {k: v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()}
    _, save_s = timed(lambda: save_file(state, str(bench.work / "checkpoint.safetensors")))
    eval_scale = PAPER["test"] / ds.test.n_clips
    return {
        "tokenising": (tok_s * full_caps / n_caps,
                       f"{n_caps:,} captions in {tok_s:.1f} s, scaled to {full_caps:,}"),
        "model loading": (load_s, f"from_pretrained of the {bench.folder.name} folder"),
        "model copy": (copy_s, "deepcopy + to(device), one per cell"),
        "teacher targets": (target_s * target_scale,
                            f"{n_en:,} English captions + {ds.train.n_clips:,} clips in "
                            f"{target_s:.1f} s, scaled to {PAPER['clips']:,} clips"),
        "evaluation": (eval_s * eval_scale, f"{ds.test.n_clips:,} test clips x 9 languages, both "
                       f"directions, in {eval_s:.1f} s"),
        "checkpoint": (save_s, "fp32 safetensors of the whole model"),
    }  # fmt: skip


def paper_cell(bench: Bench) -> list[str]:
    batch = PAPER["batch"]
    if (batch, "nine") not in bench.step_s:
        bench.step_s[(batch, "nine")] = project_side(bench, batch)[0]
        bench.step_s[(batch, "english")] = project_side(bench, batch, ("en",), False)[0]
        free(bench.device)
    nine, english = bench.step_s[(batch, "nine")], bench.step_s[(batch, "english")]
    steps = PAPER["epochs"] * (PAPER["clips"] // batch)
    cells = CELLS["nine_languages"] + CELLS["english_only"]
    costs = _fixed_costs(bench)
    free(bench.device)
    times = {"count": {"tokenising": TOKENISATIONS, "model loading": ENCODERS,
                       "model copy": cells, "teacher targets": TEACHERS, "evaluation": cells,
                       "checkpoint": cells}}  # fmt: skip
    train = steps * (CELLS["nine_languages"] * nine + CELLS["english_only"] * english)
    lines = [
        f"paper_cell[training]: {CELLS['nine_languages']} cells x {steps:,} steps x "
        f"{1000 * nine:.1f} ms (9-language step, batch {batch}, measured) + "
        f"{CELLS['english_only']} x {steps:,} x {1000 * english:.1f} ms (zero-shot step) = "
        f"{train / 60:.1f} min"
    ]
    fixed = 0.0
    for name, (seconds, how) in costs.items():
        count = times["count"][name]
        fixed += count * seconds
        lines.append(f"paper_cell[{name}]: {count} x {seconds:.1f} s = {count * seconds / 60:.2f} "
                     f"min ({how})")  # fmt: skip
    total = train + fixed
    lines.append(
        f"paper_cell: projected {total / 60:.1f} min per seed of paper-msrvtt (target <= 30 on "
        f"an H200): training {train / 60:.1f} min + fixed costs {fixed / 60:.1f} min; "
        f"{cells} cells, the teachers' steps taken as the students' (same model size here), "
        f"data loading not included"
    )
    return lines
