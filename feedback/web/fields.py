"""The GOV.UK date input as one WTForms field, for every staff-facing form with a date."""

from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import DateField

PART_FILLED = "Enter the day, month and year, for example 27 3 2027"
NOT_A_DATE = "Enter a real date, for example 27 3 2027"


class GovDateField(DateField):
    """A date from the GOV.UK date input's three boxes (day, month, year), whatever is posted.

    - However many boxes a client posts, the first three are read and shown again, padded with
      empty ones: the widget unpacks exactly three, so a short post must not be a 500.
    - Nothing typed: data is None, and the field's InputRequired or Optional decides.
    - Some boxes typed but not all: "Enter the day, month and year ...".
    - Not a date (31 2 2027, letters): "Enter a real date ...".
    - A year outside first_year to last_year: "Enter a year between ...".

    InputRequired and Optional look only at the first box, the day, so a message about what was
    typed takes the place of theirs: a date whose day was left empty is reported, not dropped.
    """

    widget = GovDateInput()

    def __init__(
        self,
        label: str | None = None,
        validators: Any = None,
        format: str = "%d %m %Y",
        *,
        first_year: int = 2000,
        last_year: int = 2100,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, validators, format=format, **kwargs)
        self.first_year, self.last_year = first_year, last_year

    def process_formdata(self, valuelist: list[Any]) -> None:
        boxes = [str(v) for v in valuelist[:3]]
        self.raw_data = boxes + [""] * (3 - len(boxes))
        self.data = None
        typed = [box.strip() for box in self.raw_data]
        if not any(typed):
            # Spaces alone are nothing typed: so InputRequired, which reads the day box, agrees.
            self.raw_data = ["", "", ""]
            return
        if not all(typed):
            raise ValueError(PART_FILLED)
        try:
            super().process_formdata(typed)
        except ValueError:
            self.data = None
            raise ValueError(NOT_A_DATE) from None
        if self.data is not None and not self.first_year <= self.data.year <= self.last_year:
            self.data = None
            raise ValueError(
                f"Enter a year between {self.first_year} and {self.last_year}, for example 2027"
            )

    def post_validate(self, form: Any, validation_stopped: bool) -> None:
        # Optional clears the errors when the day box is empty, and InputRequired then says
        # nothing was entered: what was typed in the other boxes is the thing to report.
        if self.process_errors:
            self.errors = list(self.process_errors)
