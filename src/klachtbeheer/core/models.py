from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klachtbeheer.core.chain import ChainedModel


class AuditAction(models.TextChoices):
    # Complaints: registration, messages, status links.
    COMPLAINT_REGISTER = "complaint.register", _("Complaint registered")
    COMPLAINT_MESSAGE_RECEIVED = "complaint.message_received", _("Message from the complainant")
    COMPLAINT_STATUS_LINK = "complaint.status_link", _("Status link made")
    COMPLAINT_EXTENSION_NOTICE_SENT = (
        "complaint.extension_notice_sent",
        _("Written notice of the extension sent"),
    )
    # Complaints: the steps of the procedure (complaint.<step>).
    COMPLAINT_ACCEPT = "complaint.accept", _("Step: accepted as a complaint")
    COMPLAINT_REJECT = "complaint.reject", _("Step: not a complaint")
    COMPLAINT_CONTACT_ATTEMPT = "complaint.contact_attempt", _("Step: contact attempt")
    COMPLAINT_RECORD_CONTACT = "complaint.record_contact", _("Step: contact recorded")
    COMPLAINT_WITHDRAW = "complaint.withdraw", _("Step: withdrawn")
    COMPLAINT_PLAN_MEETING = "complaint.plan_meeting", _("Step: meeting planned")
    COMPLAINT_HOLD_MEETING = "complaint.hold_meeting", _("Step: meeting held")
    COMPLAINT_WAIVE_MEETING = "complaint.waive_meeting", _("Step: no meeting")
    COMPLAINT_RECORD_VERDICT = "complaint.record_verdict", _("Step: verdict recorded")
    COMPLAINT_SEND_DECISION = "complaint.send_decision", _("Step: decision sent")
    COMPLAINT_CLOSE = "complaint.close", _("Step: closed")
    COMPLAINT_REOPEN = "complaint.reopen", _("Step: reopened")
    COMPLAINT_EXTEND = "complaint.extend", _("Step: term extended")
    COMPLAINT_REASSIGN = "complaint.reassign", _("Step: reassigned")
    COMPLAINT_PERSON_CONCERNED = "complaint.person_concerned", _("Step: person concerned")
    COMPLAINT_NOTE = "complaint.note", _("Step: note")
    COMPLAINT_ATTACHMENT = "complaint.attachment", _("Step: attachment")
    # Public intake and the API's keys and tokens.
    INTAKE_REGISTERED = "intake.registered", _("Form submission registered")
    INTAKE_HELD_FOR_REVIEW = "intake.held_for_review", _("Form submission held for review")
    INTAKE_ACCEPTED = "intake.accepted", _("Held submission accepted")
    INTAKE_REJECTED = "intake.rejected", _("Held submission rejected")
    INTAKE_API_KEY_CREATED = "intake.api_key_created", _("Site key made")
    INTAKE_API_KEY_CHANGED = "intake.api_key_changed", _("Site key changed")
    INTAKE_STAFF_TOKEN_CREATED = "intake.staff_token_created", _("Personal API token made")
    INTAKE_STAFF_TOKEN_REVOKED = "intake.staff_token_revoked", _("Personal API token revoked")
    # E-mail intake: what became of a message, automatically or after review.
    MAILINTAKE_COMPLAINT = "mailintake.complaint", _("E-mail became a complaint")
    MAILINTAKE_REPLY = "mailintake.reply", _("E-mail added to a complaint")
    MAILINTAKE_IGNORED_AUTO = "mailintake.ignored_auto", _("Automatic e-mail ignored")
    MAILINTAKE_NEEDS_REVIEW = "mailintake.needs_review", _("E-mail waits for review")
    MAILINTAKE_REVIEW_COMPLAINT = "mailintake.review.complaint", _("Reviewed e-mail: complaint")
    MAILINTAKE_REVIEW_REPLY = "mailintake.review.reply", _("Reviewed e-mail: reply")
    MAILINTAKE_REVIEW_IGNORED = "mailintake.review.ignored", _("Reviewed e-mail: ignored")
    # Letters and the outbox.
    LETTER_SEND = "letter.send", _("Letter sent")
    LETTER_POSTED = "letter.posted", _("Letter posted")
    OUTBOX_RETRY = "outbox.retry", _("E-mail sent again")
    # Register and analysis.
    CATEGORY_SAVE = "category.save", _("Category saved")
    MEASURE_UPDATE = "measure.update", _("Measure updated")
    MEASURE_REMINDER = "measure.reminder", _("Measure reminder sent")
    SATISFACTION_ANSWER = "satisfaction.answer", _("Survey answered")
    SATISFACTION_VERY_UNHAPPY = "satisfaction.very_unhappy", _("Survey: very dissatisfied")
    SATISFACTION_FOLLOW_UP = "satisfaction.follow_up", _("Survey answer followed up")
    # Personal data (issue 10) and the record itself (issue 11.7).
    COMPLAINT_RECTIFY = "complaint.rectify", _("Step: complainant's details corrected")
    PRIVACY_ANONYMISE = "privacy.anonymise", _("Complaint anonymised")
    PRIVACY_LEGAL_HOLD = "privacy.legal_hold", _("Legal hold set")
    PRIVACY_LEGAL_HOLD_RELEASED = "privacy.legal_hold_released", _("Legal hold released")
    PRIVACY_ERASURE_REFUSED = "privacy.erasure_refused", _("Erasure request refused")
    PRIVACY_PURGE = "privacy.purge", _("Record removed at the end of its term")
    PRIVACY_RETENTION_SETTINGS = "privacy.retention_settings", _("Retention terms changed")
    PRIVACY_SUBJECT_ACCESS = "privacy.subject_access", _("Subject access: person looked up")
    PRIVACY_SUBJECT_EXPORT = "privacy.subject_export", _("Subject access: data downloaded")
    AUDIT_EXPORT = "audit.export", _("Audit log exported")
    REGISTER_EXPORT = "register.export", _("Register exported")
    # Sign-in and accounts (klachtbeheer.accounts).
    ACCOUNT_INVITED = "account.invited", _("Colleague invited")
    ACCOUNT_ROLE_CHANGED = "account.role_changed", _("Role changed")
    ACCOUNT_DISTRICTS_CHANGED = "account.districts_changed", _("Districts changed")
    ACCOUNT_DEACTIVATED = "account.deactivated", _("Account deactivated")
    ACCOUNT_REACTIVATED = "account.reactivated", _("Account reactivated")
    ACCOUNT_PASSWORD_RESET_SENT = "account.password_reset_sent", _("Password reset e-mail sent")
    ACCOUNT_PASSWORD_SET = "account.password_set", _("Password set")
    ACCOUNT_TWO_FACTOR_SET_UP = "account.two_factor_set_up", _("Second factor set up")
    ACCOUNT_TWO_FACTOR_RESET = "account.two_factor_reset", _("Second factor reset")
    ACCOUNT_RECOVERY_CODE_USED = "account.recovery_code_used", _("Recovery code used")
    ACCOUNT_UNLOCKED = "account.unlocked", _("Sign-in unblocked")
    ACCOUNT_SSO_LINKED = "account.sso_linked", _("Single sign-on identity linked")
    ACCOUNT_SSO_CREATED = "account.sso_created", _("Account made at single sign-on")
    SERVICE_ACCOUNT_CREATED = "service_account.created", _("Service account made")
    SERVICE_ACCOUNT_REVOKED = "service_account.revoked", _("Service account revoked")


class ChainHead(models.Model):
    """The last link of the tamper-evident chain (`core.chain`): one row, id 1."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("chain head")

    def __str__(self) -> str:
        return f"{self.seq} {self.hash[:12]}"


class AuditEntry(ChainedModel):
    """Who did what to which object, written in the same transaction as the change.

    In the chain (`core.chain`); `data` is its erasable part: it may hold personal
    data (a reason in words) and is blanked when the complaint is anonymised.
    """

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when the system acted."),
    )
    action = models.CharField(_("action"), max_length=64, choices=AuditAction.choices)
    target_type = models.CharField(_("object type"), max_length=64)
    target_id = models.CharField(_("object id"), max_length=64)
    data = models.JSONField(_("details"), default=dict, blank=True)
    # The complaint the row is about (its target, or the target's complaint), so
    # anonymisation finds every row to blank; not a foreign key (core is below them).
    complaint_ref = models.IntegerField(_("complaint"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_type}#{self.target_id}"


class Beacon(models.Model):
    """When something last happened, for /readyz and /metrics: a worker's heartbeat
    (`worker:<id>`), the last mailbox poll (`mailintake.poll`), the last tick (`tick`),
    the last OAuth2 token request for the mailboxes (`mail.oauth2`).

    One row per key, overwritten; no personal data (counts and times only).
    """

    key = models.CharField(_("key"), max_length=100, unique=True)
    at = models.DateTimeField(_("at"))
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("beacon")
        verbose_name_plural = _("beacons")

    def __str__(self) -> str:
        return f"{self.key} {self.at:%Y-%m-%d %H:%M:%S}"
