"""SQLModel tables and their schemas. Importing this package registers every table."""

from ioperator.models.api_key import ApiKey, AuditEvent
from ioperator.models.auth import AuthSession
from ioperator.models.business import Business
from ioperator.models.crm import CrmServiceRow, CrmStaffRow
from ioperator.models.inbox import Contact, ContactIdentity, Conversation, Message
from ioperator.models.integration import Integration, IntegrationEvent
from ioperator.models.llm import LlmConfig
from ioperator.models.prompt import Prompt, PromptVariable, PromptVersion
from ioperator.models.telephony import PhoneNumber, Presence, TelephonyProfile
from ioperator.models.user import Role, User

__all__ = [
    "ApiKey",
    "AuditEvent",
    "AuthSession",
    "Business",
    "Contact",
    "ContactIdentity",
    "Conversation",
    "CrmServiceRow",
    "CrmStaffRow",
    "Integration",
    "IntegrationEvent",
    "LlmConfig",
    "Message",
    "PhoneNumber",
    "Presence",
    "Prompt",
    "PromptVariable",
    "PromptVersion",
    "Role",
    "TelephonyProfile",
    "User",
]
