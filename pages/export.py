"""Export: choose what goes into a training file, see the summary before writing, download.

Thin: the choices become an `ExportOptions`; `plan_export` decides what the file holds
(nothing is written yet) and the page shows that summary — dropped records by reason,
contaminated records with the overlapping text — then `write_plan` writes exactly the
previewed plan and the file is offered for download."""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import streamlit as st

from semi_core.auth import ADMIN
from semi_core.export import (
    FORMATS,
    ORDERS,
    SCHEMAS,
    STATUS_LABELS,
    STATUSES,
    ExportError,
    ExportOptions,
    plan_export,
    write_plan,
)
from semi_core.store import Store
from studio.shared import cached, escape_markdown, get_store, require_role
from studio.tables import code, show_table

ORDER_LABELS = {"curriculum": "curriculum (easy → hard)", "reverse": "hard → easy",
                "shuffle": "shuffled (seeded)"}  # fmt: skip
SCHEMA_HELP = (
    "alpaca: instruction, input, output · chat: system / user / assistant messages · "
    "full: code, entry point, mode, test cases, difficulty and provenance"
)
SHOWN_FLAGS = 20

store = get_store()
st.title("Export")
st.caption(
    "Write pairs as training data: choose which pairs and in what order, mix in another "
    "instruction dataset, drop duplicates and benchmark overlap — and see what the file "
    "will hold before it is written."
)
require_role(ADMIN, "export training data")


def _session_dir() -> Path:
    """A folder of this session for uploaded files and written exports. It goes with the
    session: the TemporaryDirectory's finalizer removes it when Streamlit drops the
    session's state (a closed tab, after the server's grace period) or the server stops."""
    if "export_dir" not in st.session_state:
        st.session_state["export_dir"] = tempfile.TemporaryDirectory(prefix="semi-export-")
    return Path(st.session_state["export_dir"].name)


def _saved(upload) -> str:
    """An uploaded file saved under its own name (its name becomes the records' origin)."""
    folder = _session_dir() / "uploads"
    folder.mkdir(exist_ok=True)
    path = folder / Path(upload.name).name
    path.write_bytes(upload.getvalue())
    return str(path)


sources = cached(store.data_version(), Store.export_sources, store)  # a new tab reuses it
if not sources:
    st.info("No validated pairs yet. Start a run on the Run page; validated pairs can then be "
            "exported here (or with `semi export`).")  # fmt: skip

# -- the choices ---------------------------------------------------------------------------
with st.form("export_options"):
    left, middle, right = st.columns(3)
    status = left.selectbox("Pairs", STATUSES, format_func=STATUS_LABELS.get, key="x_status")
    schema = middle.selectbox("Schema", SCHEMAS, key="x_schema", help=SCHEMA_HELP)
    fmt = right.selectbox("Format", FORMATS, key="x_format")
    order = left.selectbox("Order", ORDERS, format_func=ORDER_LABELS.get, key="x_order")
    seed = middle.number_input("Seed (shuffle, mixing)", 0, 2**31 - 1, 0, key="x_seed")
    buckets = right.checkbox("One file per difficulty bucket", key="x_buckets")
    difficulty = left.slider("Difficulty", 0.0, 1.0, (0.0, 1.0), key="x_difficulty")
    simulated = middle.checkbox(
        "Include simulated pairs", key="x_simulated",
        help="Pairs of the simulated backend carry known mistakes, for demonstrations and "
        "practice: left out of training data unless asked for.",
    )  # fmt: skip
    chosen_sources = st.multiselect(
        "Sources (none chosen: all)", list(sources), key="x_sources",
        format_func=lambda s: f"{s} ({sources.get(s, 0)} validated)",
    )  # fmt: skip

    st.markdown("**Mix in another instruction dataset** (e.g. Code Alpaca, OSS-Instruct)")
    left, right = st.columns(2)
    mix_upload = left.file_uploader(
        "Dataset file", type=["jsonl", "json", "parquet", "gz"], key="x_mix_upload",
        help="JSONL, JSON or Parquet with instruction and output columns "
        "(problem / solution work too).",
    )  # fmt: skip
    mix_path = left.text_input("…or a file path on the server", key="x_mix_path")
    ratio = right.slider("Share of mixed-in records in the file", 0.05, 0.95, 0.5, 0.05,
                         key="x_ratio")  # fmt: skip
    use_mix = right.checkbox("Mix in", key="x_use_mix")

    st.markdown("**Duplicates and benchmark overlap**")
    left, right = st.columns(2)
    humaneval = left.checkbox("Decontaminate against HumanEval", value=True, key="x_humaneval")
    bench_uploads = left.file_uploader(
        "Other benchmark files (e.g. MBPP as JSONL)", type=["jsonl", "json", "parquet", "gz"],
        accept_multiple_files=True, key="x_bench_upload",
    )  # fmt: skip
    bench_paths = left.text_input("…or file paths on the server (comma-separated)",
                                  key="x_bench_paths")  # fmt: skip
    include_contaminated = left.checkbox("Keep flagged records in the file", key="x_include")
    dedup = right.checkbox("Drop exact and near duplicates", value=True, key="x_dedup")
    threshold = right.slider("Near-duplicate similarity (MinHash)", 0.5, 1.0, 0.85, 0.01,
                             key="x_threshold")  # fmt: skip
    ngram = right.number_input("Words per n-gram (decontamination)", 5, 50, 10, key="x_ngram")
    preview = st.form_submit_button("Preview export", type="primary")

if preview:
    mix_file = _saved(mix_upload) if mix_upload else (mix_path.strip() or None)
    benchmarks = [_saved(upload) for upload in bench_uploads or []]
    benchmarks += [p.strip() for p in bench_paths.split(",") if p.strip()]
    options = ExportOptions(
        format=fmt,
        schema=schema,
        status=status,
        difficulty=None if tuple(difficulty) == (0.0, 1.0) else tuple(difficulty),
        sources=tuple(chosen_sources),
        order=order,
        seed=int(seed),
        buckets_as_files=buckets,
        mix_path=mix_file if use_mix else None,
        mix_ratio=float(ratio) if use_mix else None,
        decontaminate=tuple(benchmarks),
        humaneval=humaneval,
        include_contaminated=include_contaminated,
        include_simulated=simulated,
        ngram=int(ngram),
        dedup=dedup,
        near_dup_threshold=float(threshold),
    )
    st.session_state.pop("export_download", None)
    try:
        with st.spinner("Selecting, checking for duplicates and benchmark overlap…"):
            st.session_state["export_plan"] = plan_export(store, options)
        st.session_state.pop("export_error", None)
    except ExportError as error:
        st.session_state.pop("export_plan", None)
        st.session_state["export_error"] = str(error)

if st.session_state.get("export_error"):
    st.error(st.session_state["export_error"])

plan = st.session_state.get("export_plan")
if plan is None:
    st.stop()

# -- the summary before writing --------------------------------------------------------------
report = plan.report
st.subheader("Summary")
dropped = report.dropped()
columns = st.columns(6)
columns[0].metric("Selected pairs", report.selected)
columns[1].metric("Records", report.written)
columns[2].metric("Pairs", report.pairs)
columns[3].metric("Mixed in", report.mixed)
columns[4].metric("Dropped", sum(sum(kinds.values()) for kinds in dropped.values()))
columns[5].metric("Flagged", len(report.contaminated))
for line in report.summary():
    st.text(line)
if report.buckets:
    st.caption("Pairs per difficulty bucket: "
               + " · ".join(f"{b} {n}" for b, n in report.buckets.items()))  # fmt: skip

if report.disputed and report.disputed_left_out:
    count = len(report.disputed)
    st.warning(
        f"{count} {'pair in dispute was' if count == 1 else 'pairs in dispute were'} left "
        "out: their annotators disagree and nobody settled them. A pair is exported as "
        "accepted only when it is settled so or its voters agree."
    )
    st.page_link("pages/agreement.py", label="Settle them on the Agreement page",
                 icon=":material/handshake:")  # fmt: skip
    with st.expander("Pairs in dispute, with each annotator's vote"):
        show_table(
            pd.DataFrame([{"id": pair["id"], **{f"vote: {name}": vote for name, vote in
                                                  pair["votes"].items()}}
                          for pair in report.disputed]),
            "x_disputed",
        )  # fmt: skip

if dropped:
    st.markdown("**Left out, by reason**")
    show_table(
        pd.DataFrame([{"reason": reason.replace("_", " "), "pairs": kinds["pair"],
                       "mixed-in records": kinds["mixed"]} for reason, kinds in dropped.items()]),
        "x_dropped",
    )  # fmt: skip
    with st.expander("Examples of what was left out"):
        for reason, examples in report.examples().items():
            st.caption(reason.replace("_", " "))
            show_table(pd.DataFrame(examples), f"x_examples_{reason}")

if report.contaminated:
    st.markdown("**Benchmark overlap**" + (" (kept in the file)" if plan.options.
                include_contaminated else " (left out of the file)"))  # fmt: skip
    show_table(
        pd.DataFrame([{"id": f.id, "kind": f.kind, "benchmark": f.overlap.benchmark,
                       "item": f.overlap.item, "field": f.overlap.field,
                       "shared n-grams": f.overlap.ngrams, "overlap": f.overlap.text,
                       "from the benchmark itself": f.from_benchmark_itself}
                      for f in report.contaminated]),
        "x_overlap",
    )  # fmt: skip
    for flag in report.contaminated[:SHOWN_FLAGS]:
        title = f"{flag.id} · {flag.kind} · {flag.overlap.benchmark} {flag.overlap.item}"
        with st.expander(escape_markdown(title)):
            shared = f"{flag.overlap.ngrams} shared {plan.options.ngram}-word n-grams"
            st.caption(f"Overlapping text in the {flag.overlap.field} ({shared}):")
            language = "python" if flag.overlap.field in ("code", "output") else None
            code(flag.overlap.text, language, numbered=False)
            st.caption("Instruction:")
            st.text(flag.instruction[:500])
    if len(report.contaminated) > SHOWN_FLAGS:
        st.caption(f"The first {SHOWN_FLAGS} are shown with their text; the table lists all "
                   f"{len(report.contaminated)}.")  # fmt: skip

if report.problems:
    with st.expander(f"{len(report.problems)} rows of other files could not be read"):
        st.text("\n".join(report.problems[:200]))

# -- writing and download ------------------------------------------------------------------
st.subheader("Write")
name = st.text_input("File name", value=f"semi-instruct.{plan.options.format}",
                     key="x_file_name")  # fmt: skip
if st.button("Write export", type="primary", disabled=report.written == 0, key="x_write"):
    folder = _session_dir() / "written"
    folder.mkdir(exist_ok=True)
    try:
        safe = Path(name).name or f"semi-instruct.{plan.options.format}"
        written = write_plan(plan, folder / safe)
        paths = [Path(f["path"]) for f in written.files]
        if len(paths) == 1:
            data, file_name = paths[0].read_bytes(), paths[0].name
            mime = (
                "application/jsonl"
                if plan.options.format == "jsonl"
                else "application/octet-stream"
            )
        else:  # one file per bucket: one zip to download
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in paths:
                    archive.write(path, arcname=path.name)
            data, file_name, mime = buffer.getvalue(), Path(safe).stem + ".zip", "application/zip"
    finally:
        shutil.rmtree(folder)  # what was written is offered from memory below
    st.session_state["export_download"] = {
        "data": data, "file_name": file_name, "mime": mime,
        "files": [(Path(f["path"]).name, f["records"]) for f in written.files],
    }  # fmt: skip

download = st.session_state.get("export_download")
if download:
    files = ", ".join(f"{escape_markdown(name)} ({records} records)"
                      for name, records in download["files"])  # fmt: skip
    st.success(f"Written: {files}")
    st.download_button(
        f"Download {download['file_name']}", data=download["data"],
        file_name=download["file_name"], mime=download["mime"], key="x_download",
        on_click="ignore",
    )  # fmt: skip
