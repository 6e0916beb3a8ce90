"""Staff accounts from the command line.

    python -m bot.console.users create --username U --role reviewer|admin [--password-stdin]
    python -m bot.console.users list
    python -m bot.console.users set-password --username U [--password-stdin]
    python -m bot.console.users deactivate --username U
"""
from __future__ import annotations

import argparse
import getpass
import sys
from typing import Optional, Sequence

from sqlalchemy import select, update

from bot.console import auth
from bot.db.migrate import upgrade
from bot.db.session import get_engine
from bot.settings import get_settings


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise SystemExit("passwords do not match")
    return first


def _record(connection, action: str, target: str, detail: Optional[dict] = None) -> None:
    from bot.db.models import AuditEntry

    connection.execute(AuditEntry.__table__.insert().values(
        username="cli", action=action, target=target, detail=str(detail) if detail else None,
        at=auth.datetime.now(auth.timezone.utc)))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.console.users", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="default: DATABASE_URL")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="create a staff account")
    create.add_argument("--username", required=True)
    create.add_argument("--role", required=True, choices=auth.ROLES)
    create.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    commands.add_parser("list", help="list accounts")
    password = commands.add_parser("set-password", help="set a new password")
    password.add_argument("--username", required=True)
    password.add_argument("--password-stdin", action="store_true")
    deactivate = commands.add_parser("deactivate", help="disable an account (ends its sessions)")
    deactivate.add_argument("--username", required=True)
    args = parser.parse_args(argv)

    url = args.database_url or get_settings().database_url
    upgrade(url)
    engine = get_engine(url)
    users = auth.users
    try:
        if args.command == "create":
            secret = _password(args.password_stdin)
            with engine.begin() as connection:
                auth.create_user(connection, args.username, secret, args.role)
                _record(connection, "user_created", args.username.strip().lower(), {"role": args.role})
            print(f"created {args.role} {args.username.strip().lower()}")
        elif args.command == "list":
            with engine.connect() as connection:
                for row in connection.execute(select(users.c.username, users.c.role, users.c.active)
                                              .order_by(users.c.username)):
                    print(f"{row.username}\t{row.role}\t{'active' if row.active else 'inactive'}")
        elif args.command == "set-password":
            secret = _password(args.password_stdin)
            problem = auth.check_password_strength(secret)
            if problem:
                raise ValueError(problem)
            with engine.begin() as connection:
                done = connection.execute(update(users).where(users.c.username == args.username.lower())
                                          .values(password_hash=auth.hash_password(secret)))
                if not done.rowcount:
                    raise ValueError(f"no user {args.username!r}")
                _record(connection, "password_set", args.username.lower())
            print("password changed")
        elif args.command == "deactivate":
            with engine.begin() as connection:
                done = connection.execute(update(users).where(users.c.username == args.username.lower())
                                          .values(active=False))
                if not done.rowcount:
                    raise ValueError(f"no user {args.username!r}")
                _record(connection, "user_deactivated", args.username.lower())
            print("deactivated")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
