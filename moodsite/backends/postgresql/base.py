"""Django's PostgreSQL backend behind the circuit breaker (moodsite.database).

Only connecting differs: while the breaker says the server is down, a new
connection fails at once instead of waiting out the connect timeout, so a hung
database holds no worker (and pages that need no database stay fast).
"""

from django.db.backends.postgresql import base

from moodsite.database import breaker


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        server = (self.settings_dict["HOST"], self.settings_dict["PORT"])
        outages = (base.Database.OperationalError, base.Database.InterfaceError)
        with breaker.guard(server, outages):
            return super().get_new_connection(conn_params)
