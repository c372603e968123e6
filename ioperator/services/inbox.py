"""Inbound messages from verified webhook deliveries: kept once each, in a conversation per
business, channel and customer, with the sender matched to (or creating) a contact."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ioperator.adapters.channels.base import InboundMessage
from ioperator.core.auth import TenantContext
from ioperator.core.db import utcnow
from ioperator.core.errors import NotFound
from ioperator.models.inbox import Contact, ContactIdentity, Conversation, Message
from ioperator.models.integration import Integration


def store_inbound(*, session: Session, integration: Integration, messages: Iterable[InboundMessage]) -> int:
    """Store each message unless it is already there; returns how many were new.

    Safe under concurrent redeliveries: the unique (integration, provider message id) constraint
    decides, inside a savepoint, which of two racing deliveries stores the message.
    """
    stored = 0
    for inbound in messages:
        for _attempt in range(3):  # a racing delivery may create the contact or conversation first
            if _known(session, integration, inbound.provider_message_id):
                break
            try:
                with session.begin_nested():
                    _add_message(session, integration, inbound)
            except IntegrityError:
                continue
            stored += 1
            break
    return stored


def _add_message(session: Session, integration: Integration, inbound: InboundMessage) -> None:
    conversation = _conversation(session, integration, inbound)
    session.add(
        Message(
            business_id=integration.business_id,
            conversation_id=conversation.id or 0,
            integration_id=integration.id or 0,
            provider_message_id=inbound.provider_message_id,
            text=inbound.text,
            sent_at=inbound.sent_at,
        )
    )
    conversation.last_message_at = max(conversation.last_message_at, inbound.sent_at)
    session.add(conversation)
    session.flush()


def _known(session: Session, integration: Integration, provider_message_id: str) -> bool:
    return (
        session.exec(
            select(Message.id).where(
                Message.integration_id == integration.id, Message.provider_message_id == provider_message_id
            )
        ).first()
        is not None
    )


def _conversation(session: Session, integration: Integration, inbound: InboundMessage) -> Conversation:
    conversation = session.exec(
        select(Conversation).where(
            Conversation.integration_id == integration.id, Conversation.external_chat_id == inbound.chat_id
        )
    ).first()
    if conversation is not None:
        return conversation
    contact = _contact(session, integration, inbound)
    conversation = Conversation(
        business_id=integration.business_id,
        integration_id=integration.id or 0,
        channel=integration.provider,
        contact_id=contact.id or 0,
        external_chat_id=inbound.chat_id,
        last_message_at=inbound.sent_at,
    )
    session.add(conversation)
    session.flush()
    return conversation


def _contact(session: Session, integration: Integration, inbound: InboundMessage) -> Contact:
    """The contact known by this channel identity, else by phone, else a new one."""
    identity = session.exec(
        select(ContactIdentity).where(
            ContactIdentity.business_id == integration.business_id,
            ContactIdentity.channel == integration.provider,
            ContactIdentity.external_id == inbound.sender_id,
        )
    ).first()
    if identity is not None:
        contact = session.get(Contact, identity.contact_id)
        if contact is not None:
            return contact
    contact = None
    if inbound.sender_phone:
        contact = session.exec(
            select(Contact)
            .where(Contact.business_id == integration.business_id, Contact.phone == inbound.sender_phone)
            .order_by(col(Contact.id))
        ).first()
    if contact is None:
        contact = Contact(business_id=integration.business_id, name=inbound.sender_name, phone=inbound.sender_phone)
        session.add(contact)
        session.flush()
    elif not contact.name and inbound.sender_name:
        contact.name = inbound.sender_name
        contact.updated_at = utcnow()
        session.add(contact)
    session.add(
        ContactIdentity(
            business_id=integration.business_id,
            contact_id=contact.id or 0,
            channel=integration.provider,
            external_id=inbound.sender_id,
            username=inbound.sender_username,
        )
    )
    session.flush()
    return contact


def list_conversation_messages(*, session: Session, tenant: TenantContext, conversation_id: int) -> list[Message]:
    """The messages of one of the tenant's conversations, oldest first."""
    conversation = session.exec(
        select(Conversation).where(Conversation.id == conversation_id, Conversation.business_id == tenant.business_id)
    ).first()
    if conversation is None:
        raise NotFound("error.conversation_not_found")
    return list(
        session.exec(
            select(Message)
            .where(Message.business_id == tenant.business_id, Message.conversation_id == conversation_id)
            .order_by(col(Message.created_at), col(Message.id))
        ).all()
    )
