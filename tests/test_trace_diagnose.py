"""Failure clusters across trace files and the known-good comparison (issue 11, items 2
and 3), run as a user runs them: ``pytest --llm-inspect-trace ...`` on real trace files
from tests/data/traces/ (see /work/shared/traces/README.md for how they were recorded).

Where no natural good/bad pair exists, a test derives the failing copy from a real
trace by changing one span's output, and says so.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from llm_regressions.neardup import NearDuplicates
from trace_support import TRACES, sample, written_cases

SCENARIOS = (
    "agent_tool_loop",
    "empty_completion",
    "multi_turn_system_prompt",
    "parser_malformed_json",
    "provider_error_429_fallback",
    "provider_error_500",
    "rag_stale_retrieval",
    "silent_tool_failure",
    "truncated_length",
)


def mixed_folder(pytester: pytest.Pytester) -> Path:
    """Every scenario as OpenLLMetry, the stale-retrieval one also as OpenInference and
    Langfuse OTel, a truncated export, and a notes file that is not a trace."""
    for scenario in SCENARIOS:
        sample(pytester, "openllmetry", scenario)
    for fmt in ("openinference", "langfuse-otel"):
        sample(pytester, fmt, "rag_stale_retrieval")
    folder = pytester.path / "traces"
    text = (TRACES / "openinference" / "truncated_length.json").read_text(encoding="utf-8")
    (folder / "broken" / "cut_off.json").parent.mkdir()
    (folder / "broken" / "cut_off.json").write_text(text[: len(text) // 2], encoding="utf-8")
    (folder / "NOTES.md").write_text("exported on Monday\n", encoding="utf-8")
    return folder


def clusters_of(output: str) -> list[dict]:
    """Each cluster block of the report as {head, representative, output, promote}."""
    found = []
    for block in re.findall(r"(?m)^cluster \d+: .*(?:\n  .*)+", output):
        head, *rest = block.splitlines()
        found.append({"head": head, **dict(line.strip().split(": ", 1) for line in rest)})
    return found


def test_clusters_across_a_mixed_folder(pytester):
    mixed_folder(pytester)
    result = pytester.runpytest("--llm-inspect-trace", "traces")
    assert result.ret == 0
    out = result.stdout.str()
    assert "Traceback" not in out
    # 9 + 2 files read; 18 LLM spans (agent loop 4, multi-turn 3, 429 fallback 2, the
    # silent tool failure 2, one in each of the other 5, one per extra format)
    result.stdout.fnmatch_lines(
        ["failure clusters across 11 trace file(s): 18 LLM span(s), 12 failing (67%) in *"]
    )
    found = clusters_of(out)
    # the same stale answer in three formats: one cluster, listed first (the largest)
    stale = found[0]
    assert stale["head"].startswith("cluster 1: retrieval_stale  3 span(s), 16.7% of LLM spans")
    assert "14 days" in stale["output"]
    assert [c["head"].split("  ")[1] for c in found][1:] == ["1 span(s), 5.6% of LLM spans"] * (
        len(found) - 1
    )
    # the 429 fallback's answered call is stale too, but its answer is another text
    labels = [c["head"].split(":")[1].split()[0] for c in found]
    assert labels.count("retrieval_stale") == 2 and "finish_length" in labels
    result.stdout.fnmatch_lines(
        [
            "unreadable file(s), not counted (1):",
            "  traces/broken/cut_off.json: truncated JSON: the file ends inside a value*",
            "skipped 1 file(s) not ending in .json/.jsonl/.ndjson: traces/NOTES.md",
        ]
    )


def test_a_representative_s_promote_command_is_ready_to_run(pytester):
    mixed_folder(pytester)
    out = pytester.runpytest("--llm-inspect-trace", "traces").stdout.str()
    cut = next(c for c in clusters_of(out) if c["head"].split()[2] == "finish_length")
    words = shlex.split(cut["promote"])
    assert words[:2] == ["pytest", "--promote-trace=traces/openllmetry/truncated_length.json"]
    assert words[-1] == "--promote-suggested"
    result = pytester.runpytest(*words[1:])
    assert result.ret == 0, result.stdout.str()
    (case,) = written_cases(pytester)
    assert case.parent.name == "finish_length"
    # a provider error has no answer to regress on: said instead of a command that fails
    errors = [c for c in clusters_of(out) if "Error code: 500" in c["output"]]
    assert errors[0]["promote"].startswith("not promotable: the call produced no model output")


def test_several_files_redacted_and_the_pattern_carried_into_the_commands(pytester):
    sample(pytester, "openllmetry", "silent_tool_failure")
    sample(pytester, "otel-genai-latest-span", "silent_tool_failure")
    result = pytester.runpytest(
        "--llm-inspect-trace",
        "traces/openllmetry/silent_tool_failure.json",
        "traces/otel-genai-latest-span/silent_tool_failure.json",
        "traces",  # holds both again: a file named twice counts once
        "--promote-redact-pattern",
        r"HDMI-\w+-BLK",
    )
    assert result.ret == 0
    out = result.stdout.str()
    assert "HDMI-2M-BLK" not in out and "[REDACTED" in out
    (cluster,) = clusters_of(out)
    assert cluster["head"].startswith("cluster 1: tool_empty_success  2 span(s), 50.0%")
    assert "--promote-redact-pattern" in cluster["promote"]


def test_a_folder_with_nothing_readable_fails_and_names_every_file(pytester):
    folder = pytester.path / "traces"
    folder.mkdir()
    (folder / "a.json").write_text("{not json", encoding="utf-8")
    (folder / "b.jsonl").write_bytes(b"\xff\xfe")
    result = pytester.runpytest("--llm-inspect-trace", "traces")
    lines = result.stdout.lines
    assert (result.ret, lines[0]) == (
        1,
        "failure clusters across 0 trace file(s): 0 LLM span(s), 0 failing in 0 cluster(s)",
    )
    named = [line.split(": ")[0] for line in lines if line.startswith("  traces/")]
    assert "unreadable file(s), not counted (2):" in lines
    assert named == ["  traces/a.json", "  traces/b.jsonl"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--llm-known-good", "good.json"], "--llm-known-good needs --llm-inspect-trace*"),
        (
            ["--llm-inspect-trace", "traces", "--llm-known-good", "good.json"],
            "*--llm-known-good compares one failing trace file*",
        ),
        (
            ["--llm-inspect-trace", "traces", "--promote-logs", "logs.json"],
            "*--promote-logs joins one OTLP trace file*",
        ),
    ],
)
def test_usage_errors(pytester, args, message):
    sample(pytester, "openllmetry", "empty_completion")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_near_duplicates_keep_one_member_per_group_when_asked():
    groups = NearDuplicates(keep_members=False)
    for n in range(1000):
        groups.add("k", f"You have {n} days to return the order.", n)
    (group,) = groups.groups()
    assert group.size == 1000 and group.members == [0]


def test_known_good_comparison_of_a_natural_pair(pytester):
    """Two real runs of the same RAG workflow and question: the failing one's model call
    got a 500, the known-good one fell back from gpt-4o (429) to gpt-4o-mini."""
    bad = sample(pytester, "openllmetry", "provider_error_500")
    good = sample(pytester, "openllmetry", "provider_error_429_fallback")
    result = pytester.runpytest("--llm-inspect-trace", str(bad), "--llm-known-good", str(good))
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "known-good comparison: * (4 span(s)) against * (6 span(s)), spans aligned *",
            "  chain      support_rag_answer.workflow * same     differs  status error / unset*",
            "  retrieval    retrieve_documents.task * same     same",
            "  chain        assemble_prompt.task * same     same",
            "+ llm          openai.chat * only in the known-good trace (gpt-4o, ERROR)",
            "> llm          openai.chat * same     differs  served ? / gpt-4o-mini-2024-07-18 "
            "*status error / unset  tokens ?+? / 117+29*",
            "+ chain        parse_answer.task * only in the known-good trace (status unset)",
            "openai.chat (50c192c5724a128c): output differs",
            "  failing:    (none recorded)",
            '  known-good: {"text": {"answer": "Go to Settings > Billing*',
            "first span that got the same input and gave a different output: openai.chat "
            "(50c192c5724a128c), llm span, ended in an error: Error code: 500*",
            "everything before it matches: start there",
        ]
    )


def _derive(source: Path, target: Path, span_name: str, which: int, change) -> None:
    """Copy the OTLP trace ``source`` to ``target`` with ``change(attributes)`` applied
    to the ``which``-th span called ``span_name``."""
    data = json.loads(source.read_text(encoding="utf-8"))
    spans = [s for r in data["resourceSpans"] for ss in r["scopeSpans"] for s in ss["spans"]]
    spans.sort(key=lambda s: int(s["startTimeUnixNano"]))
    span = [s for s in spans if s["name"] == span_name][which]
    change({a["key"]: a["value"] for a in span["attributes"]})
    target.write_text(json.dumps(data, indent=1), encoding="utf-8")


def test_known_good_comparison_marks_the_call_that_answered_differently(pytester):
    """Derived pair: the failing copy of the real multi-turn trace has the second model
    call's answer changed, and whitespace and key order of every call's messages
    changed too (an equivalent input must still count as the same)."""
    good = sample(pytester, "openllmetry", "multi_turn_system_prompt")
    bad = pytester.path / "bad.json"
    data = json.loads(good.read_text(encoding="utf-8"))
    for span in (s for r in data["resourceSpans"] for ss in r["scopeSpans"] for s in ss["spans"]):
        for attribute in span["attributes"]:
            if attribute["key"] == "gen_ai.input.messages":
                value = attribute["value"]
                messages = json.loads(value["stringValue"])
                for message in messages:
                    for part in message["parts"]:
                        part["content"] = part["content"].replace(" ", "  ") + "\n"
                value["stringValue"] = json.dumps(
                    [dict(reversed(m.items())) for m in messages], indent=2
                )
    bad.write_text(json.dumps(data), encoding="utf-8")

    def wrong_answer(attributes: dict) -> None:
        value = attributes["gen_ai.output.messages"]
        output = json.loads(value["stringValue"])
        output[0]["parts"][0]["content"] = "Sorry, I cannot help with billing questions."
        value["stringValue"] = json.dumps(output)

    _derive(bad, bad, "openai.chat", 1, wrong_answer)
    result = pytester.runpytest("--llm-inspect-trace", "bad.json", "--llm-known-good", str(good))
    assert result.ret == 0
    out = result.stdout.str()
    rows = [line for line in out.splitlines() if "openai.chat" in line and "  same" in line]
    assert [r[:1] for r in rows] == [" ", ">", " "], out
    assert rows[1].split()[3:5] == ["same", "differs"]
    result.stdout.fnmatch_lines(
        [
            "openai.chat (*): output differs",
            '  failing:    {"text": "Sorry, I cannot help with billing questions."*',
            "first span that got the same input and gave a different output: openai.chat *",
        ]
    )


def test_known_good_comparison_of_a_trace_with_itself_and_redaction(pytester):
    bad = sample(pytester, "openllmetry", "silent_tool_failure")
    good = pytester.path / "good.json"
    shutil.copyfile(bad, good)
    result = pytester.runpytest(
        "--llm-inspect-trace",
        str(bad),
        "--llm-known-good",
        "good.json",
        "--promote-redact-pattern",
        "check_inventory",
    )
    assert result.ret == 0
    out = result.stdout.str()
    assert "check_inventory" not in out
    result.stdout.fnmatch_lines(
        ["the two traces match at every step: the failure is not in what they recorded"]
    )
