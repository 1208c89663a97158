from __future__ import annotations

from django import forms
from django.template import TemplateSyntaxError
from django.utils.translation import gettext_lazy as _

from klachtbeheer.complaints.models import LetterKind
from klachtbeheer.letters.content import check_template_text
from klachtbeheer.letters.models import LetterTemplate


class LetterTemplateForm(forms.ModelForm):
    """A new version of a letter: it must compile, and a decision letter says where next (P4)."""

    class Meta:
        model = LetterTemplate
        fields = ["kind", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 30, "cols": 100})}

    def _check(self, name: str) -> str:
        text = self.cleaned_data.get(name, "")
        try:
            check_template_text(text)
        except TemplateSyntaxError as error:
            raise forms.ValidationError(
                _("This text cannot be used: %(error)s"), params={"error": str(error)}
            ) from error
        return text

    def clean_subject(self) -> str:
        return self._check("subject")

    def clean_body(self) -> str:
        body = self._check("body")
        if self.cleaned_data.get("kind") == LetterKind.DECISION and "vervolg_naam" not in body:
            raise forms.ValidationError(
                _("A decision letter must say where the complainant can go next: %(placeholder)s."),
                params={"placeholder": "{{ vervolg_naam }}"},
            )
        return body
