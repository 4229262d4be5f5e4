"""``jwstdata users``: create, list, disable and promote accounts."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import typer
from bson import ObjectId
from pydantic import ValidationError as PydanticValidationError
from rich.table import Table

from jwstdata.cli.common import JSON_OPTION, console, id_column, open_root, print_json
from jwstdata.errors import ValidationError, pydantic_to_validation_error
from jwstdata.models.user import User, UserCreate

if TYPE_CHECKING:
    from jwstdata.services.auth import AuthService


app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise ValidationError("no password on standard input")
        return password
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@app.command()
def create(
    username: str = typer.Argument(..., help="3-64 letters, digits, '.', '_' or '-'."),
    email: str | None = typer.Option(None, "--email", help="Email address (unique)."),
    admin: bool = typer.Option(False, "--admin", help="Give the user the admin role."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a user (asks for the password twice unless --password-stdin)."""
    password = _read_password(password_stdin)
    try:
        data = UserCreate(username=username, email=email, password=password)
    except PydanticValidationError as exc:
        raise pydantic_to_validation_error(exc) from None
    with open_root() as root:
        root.auth.users.ensure_indexes()
        user = root.auth.create_user(data, is_admin=admin)
    if as_json:
        print_json(user.to_json())
    else:
        role = "admin" if user.is_admin else "user"
        console.print(f"created {role} {user.username} ({user.id})", highlight=False)


@app.command(name="list")
def list_users(
    limit: int = typer.Option(1000, "--limit", min=1, help="At most this many users."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List users by name."""
    with open_root() as root:
        users = root.users.list(limit=limit)
    if as_json:
        print_json([user.to_json() for user in users])
        return
    table = Table(id_column("username"), "email", "role", "status", "created", "last login")
    for user in users:
        table.add_row(
            user.username,
            user.email or "",
            "admin" if user.is_admin else "user",
            "disabled" if user.is_disabled else "active",
            _when(user.created_at),
            _when(user.last_login_at) if user.last_login_at else "never",
        )
    console.print(table)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _update(username: str, change: Callable[[AuthService, ObjectId], User]) -> User:
    with open_root() as root:
        return change(root.auth, root.users.get_by_username(username).id)


@app.command()
def disable(username: str) -> None:
    """Disable a user: no login, and every session and token stops working."""
    user = _update(username, lambda service, uid: service.set_disabled(uid, True))
    console.print(f"disabled {user.username}", highlight=False)


@app.command()
def enable(username: str) -> None:
    """Re-enable a disabled user."""
    user = _update(username, lambda service, uid: service.set_disabled(uid, False))
    console.print(f"enabled {user.username}", highlight=False)


@app.command(name="make-admin")
def make_admin(username: str) -> None:
    """Give a user the admin role."""
    user = _update(username, lambda service, uid: service.set_admin(uid, True))
    console.print(f"{user.username} is now an admin", highlight=False)
