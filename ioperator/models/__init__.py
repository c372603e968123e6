"""SQLModel tables and their schemas. Importing this package registers every table."""

from ioperator.models.auth import AuthSession
from ioperator.models.business import Business
from ioperator.models.user import Role, User

__all__ = ["AuthSession", "Business", "Role", "User"]
