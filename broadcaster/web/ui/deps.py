"""The permissions of the web UI's pages, as FastAPI dependencies.

A page names what it needs in its signature and FastAPI resolves it before the page runs:

- :data:`Pages`: the :class:`~broadcaster.web.ui._core.UI` (templates, sessions, the app);
- :data:`CurrentUser`: the signed-in user, else 303 to the sign-in page;
- :data:`Editor`: the signed-in user, who may change things, else 403 (written to the audit
  log by the ``Forbidden`` handler);
- :data:`CsrfForm`: the POSTed form after its CSRF token is checked (403 without a valid
  one); it needs :data:`CurrentUser` first, so a signed-out visitor is sent to sign in (303)
  rather than refused; :data:`SignInForm` is the same check for the sign-in and sign-out
  forms, which need no user;
- :func:`require`: the signed-in user with a given role (e.g. ``require(Role.ADMIN)``).

FastAPI resolves a page's dependencies in the order of its parameters and each one once per
request: a page that changes data declares ``user: Editor`` before ``form: CsrfForm``, so the
checks run as they always have: signed in (303), may edit (403, audited), CSRF token (403).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends
from starlette.datastructures import FormData
from starlette.requests import Request

from broadcaster.domain.vocabulary import Role
from broadcaster.users import Operator
from broadcaster.web.ui._core import UI, Forbidden

__all__ = ["CsrfForm", "CurrentUser", "Editor", "Pages", "SignInForm", "require"]


def the_ui(request: Request) -> UI:
    """The UI that :func:`broadcaster.web.ui.include_ui` put on the app's state."""
    ui: UI = request.app.state.ui
    return ui


Pages = Annotated[UI, Depends(the_ui)]


async def current_user(request: Request, ui: Pages) -> Operator:
    """The signed-in user, or a 303 to the sign-in page (see :meth:`UI.user`)."""
    return await ui.user(request)


CurrentUser = Annotated[Operator, Depends(current_user)]


async def editor(user: CurrentUser) -> Operator:
    """The signed-in user, who must be allowed to change things."""
    if not user.can_edit:
        raise Forbidden(user, "Tài khoản chỉ xem không được thay đổi dữ liệu.")
    return user


Editor = Annotated[Operator, Depends(editor)]


async def signin_form(request: Request, ui: Pages) -> FormData:
    """The POSTed form after checking its CSRF token; no user needed (sign-in, sign-out)."""
    return await ui.form(request)


SignInForm = Annotated[FormData, Depends(signin_form)]


async def csrf_form(request: Request, ui: Pages, user: CurrentUser) -> FormData:
    """The POSTed form of a signed-in user, after checking its CSRF token."""
    return await ui.form(request)


CsrfForm = Annotated[FormData, Depends(csrf_form)]


def require(role: Role, message: str, subject: str = "") -> Callable[..., Awaitable[Operator]]:
    """A dependency: the signed-in user, who must have ``role``; otherwise ``message`` (a
    Vietnamese sentence) as a 403, written to the audit log with ``subject``."""

    async def check(user: CurrentUser) -> Operator:
        if user.role != role:
            raise Forbidden(user, message, subject)
        return user

    return check
