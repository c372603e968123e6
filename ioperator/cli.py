"""`python -m ioperator <command>` (also installed as `ioperator`): tasks for self-hosters."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ioperator.core.config import ConfigurationError


def _cmd_migrate(args: argparse.Namespace) -> int:
    from ioperator.core import migrations

    migrations.upgrade("head")
    print("Database is up to date.")
    return 0


def _cmd_create_business(args: argparse.Namespace) -> int:
    from ioperator.core.db import session_scope
    from ioperator.services import accounts

    with session_scope() as session:
        result = accounts.create_business(
            session=session,
            business_name=args.name,
            owner_email=args.owner_email,
            owner_password=args.owner_password,
            owner_name=args.owner_name,
            language=args.language,
        )
        business_id = result.business.id
    print(business_id)
    return 0


def _cmd_create_user(args: argparse.Namespace) -> int:
    from ioperator.core.auth import TenantContext
    from ioperator.core.db import session_scope
    from ioperator.models.user import Role
    from ioperator.services import accounts

    with session_scope() as session:
        tenant = TenantContext(business_id=args.business_id, user_id=None, role=Role.OWNER)
        user = accounts.create_user(
            session=session,
            tenant=tenant,
            email=args.email,
            password=args.password,
            role=args.role,
            name=args.name,
        )
        user_id = user.id
    print(user_id)
    return 0


def _cmd_rotate_secrets(args: argparse.Namespace) -> int:
    from ioperator.core.db import session_scope
    from ioperator.services import secrets_rotation

    with session_scope() as session:
        count = secrets_rotation.rotate_all(session=session)
    print(f"Re-encrypted {count} stored secret(s) with the newest key.")
    return 0


def _cmd_generate_key(args: argparse.Namespace) -> int:
    from ioperator.core.crypto import generate_key

    print(generate_key())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ioperator", description="iOperator administration commands.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="<command>")

    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_cmd_migrate)

    business = commands.add_parser("create-business", help="create a business and its owner; prints its id")
    business.add_argument("--name", required=True, help="business name")
    business.add_argument("--owner-email", required=True)
    business.add_argument("--owner-password", required=True)
    business.add_argument("--owner-name", default="")
    business.add_argument("--language", default="en", choices=["en", "ru"])
    business.set_defaults(run=_cmd_create_business)

    user = commands.add_parser("create-user", help="add a user to a business; prints the user id")
    user.add_argument("--business-id", required=True, type=int)
    user.add_argument("--email", required=True)
    user.add_argument("--password", required=True)
    user.add_argument("--role", required=True, choices=["owner", "admin", "operator"])
    user.add_argument("--name", default="")
    user.set_defaults(run=_cmd_create_user)

    commands.add_parser(
        "rotate-secrets", help="re-encrypt every stored secret with the newest key (IOPERATOR_SECRET_KEYS[0])"
    ).set_defaults(run=_cmd_rotate_secrets)
    commands.add_parser("generate-key", help="print a new encryption key").set_defaults(run=_cmd_generate_key)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from sqlalchemy.exc import OperationalError

    from ioperator.core.config import get_settings
    from ioperator.core.crypto import DecryptionError
    from ioperator.core.errors import ServiceError

    args = build_parser().parse_args(argv)
    try:
        if args.command != "generate-key":
            get_settings().check_production_ready()
        return int(args.run(args))
    except ServiceError as exc:
        where = f" ({exc.field})" if exc.field else ""
        print(f"error{where}: {exc.message()}", file=sys.stderr)
        return 1
    except (ConfigurationError, DecryptionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OperationalError as exc:
        print(f"error: the database cannot be used: {exc.orig}. Run `ioperator migrate` first?", file=sys.stderr)
        return 1
