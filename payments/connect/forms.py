from django import forms


class ConnectForm(forms.Form):
    confirm_us = forms.BooleanField(
        label="My business is located in the United States",
        error_messages={"required": "Confirm that your business is located in the United States."},
    )
    accept_terms = forms.BooleanField(
        label="I accept the payment processing terms",
        error_messages={"required": "Accept the payment processing terms to continue."},
    )
