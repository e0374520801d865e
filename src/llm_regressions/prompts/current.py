"""A case's ``prompt:`` section at run time: checked at collection, rendered once, sent
(``--llm-prompt current``) or only compared (``frozen``), and described for the reports.

Problems a user can fix in a file (a template error, a missing or unused variable, a
render hook that cannot be imported or called with the variables) are collection errors
located in the case file; a render hook that raises is the app's bug (a failure with its
traceback), like a target that raises.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llm_regressions import usercode
from llm_regressions.casefile.yamlio import format_path
from llm_regressions.prompts.diff import message_diff
from llm_regressions.prompts.template import (
    PromptError,
    Rendered,
    Template,
    load_template,
    render_template,
    rendered_from_hook,
    variable_problems,
)
from llm_regressions.usercode import AppRaised

if TYPE_CHECKING:
    from llm_regressions.casefile.loader import LoadedCase
    from llm_regressions.replay.request import ProviderRequest


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
        return rendered_from_hook(self.reference, usercode.call(self.hook, self.variables))


def prepare(
    loaded: LoadedCase, display: str, root: Path, live: bool, templates: dict[Path, Template]
) -> CurrentPrompt | None:
    """Check a case's ``prompt:`` section so that mistakes are collection errors located
    in the case file (``file:line: prompt.x: ...``). Render hooks are app code: imported
    only when cases are replayed (``live``). ``templates`` caches parsed template files
    for the session. Raises PromptError."""
    prompt = loaded.case.prompt
    if prompt is None or (prompt.render is not None and not live):
        return None
    variables = dict(prompt.variables)
    if prompt.render is not None:
        try:
            hook = usercode.resolve_callable(prompt.render)
        except usercode.UserCodeError as exc:
            raise PromptError(_at(loaded, display, ("prompt", "render"), str(exc))) from None
        problem = usercode.signature_problem(hook, variables)
        if problem:
            where = ("prompt", "variables")
            raise PromptError(_at(loaded, display, where, f"{prompt.render}: {problem}"))
        return CurrentPrompt(hook=hook, reference=prompt.render, variables=variables)
    path = root / prompt.template
    try:
        template = templates.get(path) or load_template(path, prompt.template)
    except PromptError as exc:
        raise PromptError(_at(loaded, display, ("prompt", "template"), str(exc))) from None
    templates[path] = template
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
    return f"{display}:{loaded.line_of(where)}: {format_path(where)}: {message}"


# -- requests and reports ----------------------------------------------------------------


def with_prompt(request: ProviderRequest, rendered: Rendered) -> ProviderRequest:
    """The request with the current prompt: its messages, and whatever tools, tool
    choice, response format and params the template/hook gives (params merged over
    the case's, the template winning: it is the code under review)."""
    changes: dict[str, Any] = {"messages": rendered.messages}
    for name in ("tools", "tool_choice", "response_format"):
        if getattr(rendered, name) is not None:
            changes[name] = getattr(rendered, name)
    if rendered.params:
        changes["params"] = {**request.params, **rendered.params}
    return dataclasses.replace(request, **changes)


def describe(current: CurrentPrompt, mode: str, frozen: list[dict[str, Any]]) -> dict[str, Any]:
    """Which prompt ran and how it differs from the recorded ``frozen`` messages, for
    the case's record. In ``current`` mode a prompt that cannot be rendered raises
    (AppRaised / PromptError): the case cannot run; in ``frozen`` mode it is noted."""
    run: dict[str, Any] = {"mode": mode, "rendered": None, "changed": None, "diff": None}
    try:
        rendered = current.rendered()
    except (AppRaised, PromptError) as exc:
        if mode == "current":
            raise
        return {**run, "error": str(exc).splitlines()[0]}
    diff = message_diff(frozen, rendered.messages)
    run.update(rendered=rendered.identity, changed=bool(diff), diff=diff, error=None)
    return run
