"""Slot names, shared by the forms, the actions and the tests."""

LAST_NAME = "last_name"
FIRST_NAME = "first_name"
PATIENT_ID = "patient_id"
PHONE_NUMBER = "phone_number"
DOCTOR = "doctor"

BOOKING_TIME = "booking_time"
BOOKING_CONFIRMED = "booking_confirmed"
BOOKING_CORRECTION = "booking_correction"

APPOINTMENT_ID = "appointment_id"
NEW_TIME = "new_time"
RESCHEDULE_CONFIRMED = "reschedule_confirmed"
CANCEL_CONFIRMED = "cancel_confirmed"

CHOSEN_SLOT = "chosen_slot"
OFFERED_SLOTS = "offered_slots"
UPCOMING_APPOINTMENTS = "upcoming_appointments"
IDENTITY_VERIFIED = "identity_verified"
VALIDATION_FAILURES = "validation_failures"
CORRECTION_PENDING = "correction_pending"
GOODBYE_WARNED = "goodbye_warned"
TIME_WISHES = "time_wishes"
NO_FILE_NUMBER = "no_file_number"
OUTCOME = "outcome"
HANDOFF_OFFERED = "handoff_offered"
EMERGENCY_WARNED = "emergency_warned"
PENDING_REQUEST = "pending_request"
REQUESTED_SLOT = "requested_slot"

BOOKING_FORM = "booking_form"
RESCHEDULE_FORM = "reschedule_form"
CANCEL_FORM = "cancel_form"

# Everything a form fills, cleared when it ends or is abandoned.
FORM_SLOTS = (
    LAST_NAME,
    FIRST_NAME,
    PATIENT_ID,
    PHONE_NUMBER,
    DOCTOR,
    BOOKING_TIME,
    BOOKING_CONFIRMED,
    BOOKING_CORRECTION,
    APPOINTMENT_ID,
    NEW_TIME,
    RESCHEDULE_CONFIRMED,
    CANCEL_CONFIRMED,
    CHOSEN_SLOT,
    OFFERED_SLOTS,
    UPCOMING_APPOINTMENTS,
    IDENTITY_VERIFIED,
    VALIDATION_FAILURES,
    CORRECTION_PENDING,
    GOODBYE_WARNED,
    TIME_WISHES,
    NO_FILE_NUMBER,
)
