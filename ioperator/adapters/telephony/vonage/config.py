"""What the owner pastes from the Vonage dashboard, checked before anything is sent.

The dashboard form draws each field as a single-line input, so a pasted PEM private key may arrive with
its newlines turned into spaces, lost altogether, or written as literal `\\n`. `private_key` accepts
PKCS#8 (`BEGIN PRIVATE KEY`, what Vonage issues) and PKCS#1 (`BEGIN RSA PRIVATE KEY`) with any
whitespace, loads it with `cryptography` and keeps a clean PKCS#8 PEM: the SDK refuses a PKCS#1 string,
and reads a string ending in `.<ext>` as a file path (reference §4), which a re-serialised PEM never does.
"""

from __future__ import annotations

import base64
import binascii
import re
import textwrap
import uuid
from typing import Annotated, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import AfterValidator, BeforeValidator, Field, SecretStr
from pydantic_core import PydanticCustomError

from ioperator.adapters.base import ProviderConfig

_PEM = re.compile(
    r"-----\s*BEGIN\s+(?P<label>(?:RSA\s+|ENCRYPTED\s+|EC\s+)?PRIVATE\s+KEY)\s*-----"
    r"(?P<body>.*?)"
    r"-----\s*END\s+(?P=label)\s*-----",
    re.DOTALL,
)
_SECRET = re.compile(r"\S{8,128}")


def _api_key(value: str) -> str:
    if not re.fullmatch(r"[0-9A-Za-z]{8}", value):
        raise PydanticCustomError("api_key_format", "A Vonage API key is 8 letters and digits, e.g. a1b2c3d4.")
    return value.lower()


def _api_secret(value: SecretStr) -> SecretStr:
    secret = value.get_secret_value().strip()
    if not _SECRET.fullmatch(secret):
        raise PydanticCustomError("api_secret_format", "Paste the API secret shown next to the API key.")
    return SecretStr(secret)


def _application_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise PydanticCustomError(
            "application_id_format", "An application ID looks like 8-4-4-4-12 hexadecimal characters."
        ) from None


def _optional_secret(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, SecretStr) and not value.get_secret_value().strip():
        return None
    return value


def _signature_secret(value: SecretStr | None) -> SecretStr | None:
    if value is None:
        return None
    secret = value.get_secret_value().strip()
    if not _SECRET.fullmatch(secret):
        raise PydanticCustomError("signature_secret_format", "Paste the signature secret from the API settings.")
    return SecretStr(secret)


def normalise_private_key(raw: str) -> str:
    """A PKCS#8 PEM of the RSA private key in `raw` (PKCS#8 or PKCS#1, any whitespace)."""
    text = raw.replace("\\r", "").replace("\\n", "\n").strip()
    match = _PEM.search(text)
    if match is None:
        raise PydanticCustomError(
            "private_key_format", "Paste the whole private key, from -----BEGIN PRIVATE KEY----- to its END line."
        )
    label = " ".join(match["label"].split())
    if label.startswith("ENCRYPTED"):
        raise PydanticCustomError("private_key_encrypted", "The private key is password-protected; use the key file.")
    body = "".join(match["body"].split())
    try:
        base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise PydanticCustomError(
            "private_key_format", "The private key is damaged: some characters are not valid."
        ) from None
    pem = f"-----BEGIN {label}-----\n" + "\n".join(textwrap.wrap(body, 64)) + f"\n-----END {label}-----\n"
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise PydanticCustomError("private_key_format", "The private key could not be read.") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise PydanticCustomError("private_key_not_rsa", "A Vonage application key is an RSA key.")
    pkcs8 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pkcs8.decode("ascii")


def _private_key(value: SecretStr) -> SecretStr:
    return SecretStr(normalise_private_key(value.get_secret_value()))


class VonageConfig(ProviderConfig):
    api_key: Annotated[str, AfterValidator(_api_key)] = Field(
        title="API key",
        description="Vonage API dashboard → the home page, under API key.",
        examples=["a1b2c3d4"],
    )
    api_secret: Annotated[SecretStr, AfterValidator(_api_secret)] = Field(
        title="API secret",
        description="Shown next to the API key (API Settings lists every secret of the account).",
        examples=["Abcdef0123456789"],
    )
    application_id: Annotated[str, AfterValidator(_application_id)] = Field(
        title="Application ID",
        description="Applications → the Voice application that will answer your numbers → Application ID.",
        examples=["aaaaaaaa-bbbb-cccc-dddd-0123456789ab"],
    )
    private_key: Annotated[SecretStr, AfterValidator(_private_key)] = Field(
        title="Private key",
        description="The contents of the application's private.key file (downloaded when its keys were generated).",
        examples=["-----BEGIN PRIVATE KEY----- MIIEvQIBADANBg… -----END PRIVATE KEY-----"],
    )
    signature_secret: Annotated[
        SecretStr | None, BeforeValidator(_optional_secret), AfterValidator(_signature_secret)
    ] = Field(
        default=None,
        title="Signature secret",
        description="Optional. API Settings → Signature secret: lets iOperator check that webhooks come from Vonage.",
        examples=["0123456789abcdef0123456789abcdef"],
    )
