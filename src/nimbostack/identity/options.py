"""Identity's options: [identity] and [security_compliance]."""

from __future__ import annotations

from nimbostack.core.config import Opt, port_opt, register
from nimbostack.core.options import api_opts

register(
    "identity",
    "The identity service (Keystone v3).",
    [
        port_opt("port", 5000, "the identity API"),
        *api_opts(),
        Opt("connection", "", "Database URL for identity (empty: see [database])."),
        Opt("token_expiration", 3600, "Token lifetime in seconds.", type="int", minimum=60),
        Opt(
            "allow_expired_window",
            172800,
            "How long after expiry a token may still be "
            "validated with ?allow_expired=1, in seconds.",
            type="int",
            minimum=0,
        ),
        Opt(
            "key_repository",
            "",
            "Directory of token encryption keys (defaults to <data_dir>/identity/fernet-keys).",
        ),
        Opt(
            "max_active_keys", 3, "Keys kept in the repository on rotation.", type="int", minimum=2
        ),
        Opt(
            "password_hash_rounds",
            12,
            "bcrypt cost factor for stored passwords.",
            type="int",
            minimum=4,
        ),
        Opt(
            "cache_time",
            2.0,
            "Seconds a process may reuse computed role and catalog data "
            "when the database is shared with other processes.",
            type="float",
            minimum=0,
        ),
        Opt("max_password_length", 4096, "Longest password accepted.", type="int", minimum=8),
        Opt(
            "list_limit",
            0,
            "Maximum entities a list call returns (0: no limit).",
            type="int",
            minimum=0,
        ),
    ],
)

register(
    "security_compliance",
    "Password and account-lockout rules (the options Keystone and Tempest know).",
    [
        Opt(
            "lockout_failure_attempts",
            0,
            "Failed password attempts before a user is locked out (0 disables lockout).",
            type="int",
            minimum=0,
        ),
        Opt(
            "lockout_duration",
            1800,
            "Seconds a locked-out user stays locked.",
            type="int",
            minimum=1,
        ),
        Opt(
            "unique_last_password_count",
            0,
            "A new password must differ from this many previous ones (0 or 1: no history check).",
            type="int",
            minimum=0,
        ),
        Opt(
            "minimum_password_age",
            0,
            "Days before a user may change their password again.",
            type="int",
            minimum=0,
        ),
        Opt(
            "password_expires_days",
            0,
            "Days until a password expires (0: never).",
            type="int",
            minimum=0,
        ),
        Opt("password_regex", "", "Regular expression new passwords must match."),
        Opt("password_regex_description", "", "Human description of password_regex."),
        Opt(
            "change_password_upon_first_use",
            False,
            "New users and users whose password "
            "an admin reset must change it before getting a token.",
            type="bool",
        ),
        Opt(
            "disable_user_account_days_inactive",
            0,
            "Disable users inactive this many days (0: never).",
            type="int",
            minimum=0,
        ),
    ],
)
