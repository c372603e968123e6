"""Re-encrypt every stored secret with the newest key (after a key is added in front)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from ioperator.core import crypto
from ioperator.core.db import EncryptedString


def encrypted_columns(metadata: sa.MetaData = SQLModel.metadata) -> list[sa.Column[str]]:
    return [
        column
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedString)
    ]


def rotate_all(*, session: Session, metadata: sa.MetaData = SQLModel.metadata) -> int:
    """Rotate every EncryptedString value in place; returns how many values were re-encrypted.

    Values are read and written as raw text, so nothing is ever held decrypted here.
    """
    count = 0
    for column in encrypted_columns(metadata):
        table = column.table
        pk = list(table.primary_key.columns)
        raw = sa.literal_column(f'"{column.name}"', type_=sa.Text)
        rows = session.connection().execute(sa.select(*pk, raw).select_from(table).where(column.is_not(None)))
        for row in rows.all():
            *keys, token = row
            condition = sa.and_(*(c == k for c, k in zip(pk, keys, strict=True)))
            session.connection().execute(
                sa.update(table).where(condition).values({column.name: sa.literal(crypto.rotate(token), sa.Text)})
            )
            count += 1
    return count
