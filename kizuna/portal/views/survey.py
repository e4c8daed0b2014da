"""`/s/{token}`: the hosted survey page of a link. One question per step, by plain form
posts (no JavaScript needed): GET shows where the respondent is, POST `next` checks the
answer with the evaluator and saves it (partial), `back` goes one question back, the last
`next` finishes the response and shows the ending (docs/hosted-pages.md)."""

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_http_methods

from kizuna.core.clock import now
from kizuna.core.errors import KizunaError
from kizuna.feedback.errors import InvalidAnswer, QuotaFull
from kizuna.feedback.logic import Evaluation
from kizuna.portal import flow, state
from kizuna.portal.branding import branding_of
from kizuna.portal.languages import asked, served_language, switcher
from kizuna.portal.links import Target, resolve_target
from kizuna.portal.questions import question, read_answer
from kizuna.portal.views.pages import page, problem_page


def _language_of_request(request: HttpRequest) -> str:
    tag = asked(request) or request.headers.get("Accept-Language", "en")
    return tag.split(",")[0].split(";")[0].strip() or "en"


def _redirect(visit: flow.Visit, request: HttpRequest) -> HttpResponse:
    response = HttpResponseRedirect(request.path)
    response.status_code = 303
    _keep(visit, request, response)
    return response


def _keep(visit: flow.Visit, request: HttpRequest, response: HttpResponse) -> None:
    secure = request.is_secure()
    state.store(response, visit.target.token, visit.state, secure=secure)
    if request.COOKIES.get(state.BROWSER_COOKIE) is None:
        state.store_browser(response, visit.browser_token, secure=secure)


def _render(
    visit: flow.Visit,
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    evaluation: Evaluation,
    *,
    status: int = 200,
) -> HttpResponse:
    target = visit.target
    response = page(
        request,
        template,
        {
            "survey": target.survey,
            "ui": evaluation.ui,
            "languages": switcher(target.survey, visit.language),
            **context,
        },
        language=visit.language,
        branding=branding_of(target.workspace),
        status=status,
    )
    _keep(visit, request, response)
    return response


def _ending(visit: flow.Visit, request: HttpRequest, ending_id: str | None) -> HttpResponse:
    evaluation = flow.evaluate(visit, visit.answers)
    ending = evaluation.endings.get(ending_id or "", {}) if ending_id else {}
    return _render(
        visit,
        request,
        "portal/ending.html",
        {
            "title": ending.get("title") or evaluation.ui.get("thank_you", ""),
            "text": ending.get("text", ""),
            "redirect_url": ending.get("redirect_url", ""),
        },
        evaluation,
    )


def _question(
    visit: flow.Visit,
    request: HttpRequest,
    evaluation: Evaluation,
    element_id: str,
    answers: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    path = evaluation.visible_elements
    q = question(visit.elements[element_id], evaluation, answers, show_errors=status == 422)
    index = path.index(element_id) if element_id in path else 0
    progress = visit_texts_progress(visit, index + 1, len(path))
    context = {
        "q": q,
        "progress": progress,
        "progress_percent": 10 * round(10 * index / max(len(path), 1)),
        "first": index == 0,
        "last": index == len(path) - 1,
    }
    return _render(visit, request, "portal/question.html", context, evaluation, status=status)


def visit_texts_progress(visit: flow.Visit, n: int, total: int) -> str:
    from kizuna.portal.texts import page_texts

    return page_texts(visit.language)["progress"].format(n=n, total=total)


def _begin(request: HttpRequest, target: Target) -> tuple[flow.Visit, bool]:
    """The visit: the cookie's, or a new one (its display recorded once)."""
    kept = state.load(request)
    fresh = kept is None
    visit_state = kept or state.VisitState(h=flow.hidden_from(target, request))
    chosen = asked(request)
    if chosen:
        visit_state.lang = chosen
    customer = target.customer
    language = served_language(
        target.survey,
        request,
        chosen=visit_state.lang or None,
        locale=customer.locale if customer is not None else None,
    )
    token, _ = state.browser_token(request)
    visit = flow.Visit(target=target, state=visit_state, language=language, browser_token=token)
    response = flow.stored_response(target, visit_state.sid)
    if response is not None:
        visit.response = response
        visit.answers = dict(response.answers)
        visit.time_ms = dict(response.time_ms)
    return visit, fresh


@require_http_methods(["GET", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        target = resolve_target(token, now())
    except KizunaError as error:
        return problem_page(request, error, language=_language_of_request(request))
    visit, fresh = _begin(request, target)
    try:
        if visit.finished:
            assert visit.response is not None
            return _ending(visit, request, visit.response.ending or None)
        if target.used is not None:
            raise target.used  # a personal link another browser answered
        if fresh or not visit.state.d:
            flow.record_display(visit, "qr" if request.GET.get("via") == "qr" else "link")
        evaluation = flow.evaluate(visit, visit.answers)
        welcome = evaluation.welcome or {}
        if welcome.get("enabled") and not visit.state.started:
            if request.method == "POST" and request.POST.get("action") == "start":
                visit.state.started = True
                return _redirect(visit, request)
            return _render(visit, request, "portal/welcome.html", {"welcome": welcome}, evaluation)
        if request.method == "POST":
            return _step(visit, request, evaluation)
        at = flow.current_element(visit, evaluation)
        if at is None:
            return _finish(visit, request, evaluation, evaluation.data)
        visit.state.shown(at)
        return _question(visit, request, evaluation, at, visit.answers)
    except KizunaError as error:
        return problem_page(request, error, language=visit.language, workspace=target.workspace)


def _step(visit: flow.Visit, request: HttpRequest, evaluation: Evaluation) -> HttpResponse:
    at = flow.current_element(visit, evaluation)
    if at is None or request.POST.get("element") != at:
        return _redirect(visit, request)  # a stale form (another tab moved on)
    if request.POST.get("action") == "back":
        previous = flow.neighbour(evaluation, at, -1)
        if previous is not None:
            visit.state.at, visit.state.t = previous, state.now_ms()
        return _redirect(visit, request)
    answers = {**visit.answers, **read_answer(visit.elements[at], evaluation, request.POST)}
    answers = {key: value for key, value in answers.items() if value is not None}
    checked = flow.evaluate(visit, answers)
    spent = visit.state.elapsed()
    visit.time_ms[at] = visit.time_ms.get(at, 0) + spent
    if at in checked.errors:
        return _question(visit, request, checked, at, answers, status=422)
    following = flow.neighbour(checked, at, 1)
    if following is None:
        return _finish(visit, request, checked, checked.data)
    flow.save(visit, checked.data, finished=False, user_agent=_agent(request))
    visit.state.at, visit.state.t = following, state.now_ms()
    return _redirect(visit, request)


def _finish(
    visit: flow.Visit, request: HttpRequest, evaluation: Evaluation, data: dict[str, Any]
) -> HttpResponse:
    try:
        flow.save(visit, data, finished=True, user_agent=_agent(request))
    except InvalidAnswer as error:
        # A required answer missing on the path: back to that question, its error shown.
        missing = (error.field or "").removeprefix("answers.")
        if missing in evaluation.visible_elements:
            visit.state.at, visit.state.t = missing, state.now_ms()
            return _question(visit, request, evaluation, missing, data, status=422)
        raise
    except QuotaFull as error:
        ending = (error.details[0] if error.details else {}).get("ending")
        if ending:
            visit.answers = data
            return _ending(visit, request, ending)
        raise
    return _redirect(visit, request)


def _agent(request: HttpRequest) -> str:
    return request.headers.get("User-Agent", "")[:500]
