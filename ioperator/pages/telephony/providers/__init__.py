"""Telephony → Providers: connect Telnyx, Twilio or Vonage (test before save), make one the default for
outbound calls, enable/disable, and see how calls reach iOperator (set up automatically, or by hand).

The cards, the connect form and the event log are the integration pages' (IntegrationsState with
kind "telephony"); this module adds the telephony actions and the set-up dialog.
"""

from ioperator.pages.telephony.providers.state import TelephonyProvidersState
from ioperator.pages.telephony.providers.view import providers_page

__all__ = ["TelephonyProvidersState", "providers_page"]
