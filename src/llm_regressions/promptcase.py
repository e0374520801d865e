"""A case's ``prompt:`` section at run time: checked at collection, rendered once, sent
(``--llm-prompt current``) or only compared (``frozen``), and described in
``user_properties`` (see :mod:`llm_regressions.promptreport`).

Problems a user can fix in a file (a template error, a missing or unused variable, a
render hook that cannot be imported or called with the variables) are collection errors
located in the case file; a render hook that raises is the app's bug (a failure with its
traceback), like a target that raises.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from llm_regressions import yamlio
from llm_regressions.promptreport import message_diff
from llm_regressions.prompts import (
    PromptError,
    Rendered,
    Template,
    call_app,
    load_template,
    render_template,
    rendered_from_hook,
    resolve_hook,
    signature_problems,
    variable_problems,
)

if TYPE_CHECKING:
    from llm_regressions.loader import LoadedCase
    from llm_regressions.replay.request import ProviderRequest

PROMPT_MODES = ("current", "frozen")
_TEMPLATES = pytest.StashKey[dict[Path, Template]]()


class AppRaised(Exception):
    """App code (a render hook or a target) raised: the app's bug, shown with the app's
    traceback as the case's failure."""

    def __init__(self, what: str, exc: BaseException) -> None:
        frames = traceback.format_exception(type(exc), exc, exc.__traceback__)
        # Drop the plugin's own frames: the first frame shown is the app's.
        text = "".join(frames[:1] + _app_frames(exc) + frames[-1:])
        super().__init__(f"{what} raised {type(exc).__name__}: {exc}\n\n{text.rstrip()}")
        self.original = exc


#: Frames under these folders are the plugin's or the event loop's, not the app's.
_NOT_APP = tuple(str(Path(module.__file__).parent) for module in (asyncio, concurrent.futures)) + (
    str(Path(__file__).parent),
)


def _app_frames(exc: BaseException) -> list[str]:
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(_NOT_APP)
    ]
    return traceback.format_list(frames)


@dataclass
class CurrentPrompt:
    """The case's current prompt: a checked template or an importable render hook.
    Rendered on first use, and the outcome (or the app's exception) kept."""

    template: Template | None = None
    hook: Any = None
    reference: str = ""
    variables: dict[str, Any] = dataclasses.field(default_factory=dict)
    _outcome: Rendered | BaseException | None = None

    def rendered(self) -> Rendered:
        """The rendering; raises AppRaised or PromptError (the same one every time)."""
        if self._outcome is None:
            try:
                self._outcome = self._render()
            except PromptError as exc:
                self._outcome = exc
            except Exception as exc:  # noqa: BLE001 - the app's bug, reported as such
                self._outcome = AppRaised(f"render hook {self.reference}", exc)
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        return self._outcome

    def _render(self) -> Rendered:
        if self.template is not None:
            return render_template(self.template, self.variables)
        return rendered_from_hook(self.reference, call_app(self.hook, self.variables))


def prepare(loaded: LoadedCase, config: pytest.Config, display: str) -> CurrentPrompt | None:
    """Check the app code a case names (its ``prompt:`` template or hook, its ``target``)
    so that mistakes are collection errors located in the case file
    (``file:line: prompt.x: ...``). Raises PromptError."""
    from llm_regressions.options import get_settings

    case, calls_models = loaded.case, get_settings(config).calls_models
    if case.target is not None and calls_models:
        from llm_regressions.targets import TargetError, check_target

        try:
            check_target(case.target, case.input or {})
        except TargetError as exc:
            raise PromptError(_at(loaded, display, ("target",), str(exc))) from None
    prompt = case.prompt
    if prompt is None or (prompt.render is not None and not calls_models):
        return None  # render hooks are app code: imported only when replaying live
    variables = dict(prompt.variables)
    if prompt.render is not None:
        try:
            hook = resolve_hook(prompt.render)
        except PromptError as exc:
            raise PromptError(_at(loaded, display, ("prompt", "render"), str(exc))) from None
        problems = signature_problems(hook, variables)
        if problems:
            raise PromptError(
                _at(loaded, display, ("prompt", "variables"), f"{prompt.render}: {problems[0]}")
            )
        return CurrentPrompt(hook=hook, reference=prompt.render, variables=variables)
    cache = config.stash.setdefault(_TEMPLATES, {})
    path = Path(config.rootpath) / prompt.template
    try:
        template = cache.get(path) or load_template(path, prompt.template)
    except PromptError as exc:
        raise PromptError(_at(loaded, display, ("prompt", "template"), str(exc))) from None
    cache[path] = template
    problems = variable_problems(template, variables)
    if problems:
        lines = []
        for name, problem in problems:
            # an unused variable is shown at its own line, a missing one at variables:
            where = ("prompt", "variables", *((name,) if name in variables else ()))
            lines.append(_at(loaded, display, where, problem))
        raise PromptError("\n".join(lines))
    return CurrentPrompt(template=template, reference=prompt.template, variables=variables)


def _at(loaded: LoadedCase, display: str, where: tuple, message: str) -> str:
    """``display:line: field.path: message`` for a field of this case."""
    from llm_regressions.loader import format_path

    return f"{display}:{_line_of(loaded, where)}: {format_path(where)}: {message}"


def _line_of(loaded: LoadedCase, where: tuple) -> int:
    """The case file line of ``where`` (re-read only when there is an error to show)."""
    try:
        data, lines = yamlio.load(loaded.path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return loaded.line
    prefix: tuple = ()
    if isinstance(data, dict) and isinstance(data.get("cases"), list):
        for index, raw in enumerate(data["cases"]):
            if isinstance(raw, dict) and raw.get("id") == loaded.case.id:
                prefix = ("cases", index)
    return lines.line_of((*prefix, *where))


# -- requests and reports ----------------------------------------------------------------


def with_prompt(request: ProviderRequest, rendered: Rendered) -> ProviderRequest:
    """The request with the current prompt: its messages, and whatever tools, tool
    choice, response format and params the template/hook gives (params merged over
    the case's, the template winning: it is the code under review)."""
    changes: dict[str, Any] = {"messages": rendered.messages}
    if rendered.tools is not None:
        changes["tools"] = rendered.tools
    if rendered.tool_choice is not None:
        changes["tool_choice"] = rendered.tool_choice
    if rendered.response_format is not None:
        changes["response_format"] = rendered.response_format
    if rendered.params:
        changes["params"] = {**request.params, **rendered.params}
    return dataclasses.replace(request, **changes)


def sends_current(item: Any, mode: str) -> Rendered | None:
    """The rendering to send for ``item`` (None: send the frozen request). Raises
    AppRaised / PromptError when the current prompt cannot be rendered."""
    current = getattr(item, "current_prompt", None)
    if current is None or mode != "current":
        return None
    return current.rendered()


def describe(item: Any, mode: str) -> None:
    """Record the prompt identity, whether it changed since the trace, and the diff,
    in ``user_properties`` (reports, JSON, xdist) for the summary and report layers."""
    current: CurrentPrompt | None = getattr(item, "current_prompt", None)
    if current is None:
        return
    try:
        rendered = current.rendered()
    except (AppRaised, PromptError) as exc:
        if mode == "current":
            raise
        item.user_properties.append(("llm_prompt_mode", mode))
        item.user_properties.append(("llm_prompt_error", str(exc).splitlines()[0]))
        return
    case = item.loaded.case
    frozen = [m.model_dump(exclude_none=True) for m in case.request.messages]
    diff = message_diff(frozen, rendered.messages)
    item.user_properties += [
        ("llm_prompt_mode", mode),
        ("llm_prompt_id", rendered.identity),
        ("llm_prompt_changed", bool(diff)),
    ]
    if diff:
        item.user_properties.append(("llm_prompt_diff", diff))
