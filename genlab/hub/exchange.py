"""nbgrader's submit on the cohort hub, with a refusal a learner can read.

nbgrader already refuses a hand-in bigger than ``CourseDirectory.max_dir_size`` (100 MB here), but
its message is "Directory size is too big. Size is 524308257, maximum size is 100000000" at the end
of a traceback. ``SizeCheckedSubmit`` checks first and says it in Spanish and English, in megabytes,
with what to do; nothing reaches the exchange, so the gradebook never sees a half hand-in.
Configured for every account by ``genlab hub setup`` (``c.ExchangeFactory.submit``).
"""

from __future__ import annotations

from nbgrader.exchange.default.submit import ExchangeSubmit

from genlab.core import i18n


class HandInTooBig(RuntimeError):
    pass


class SizeCheckedSubmit(ExchangeSubmit):
    def do_copy(self, src, dest, log=None):
        size = self.get_size(src)
        limit = 1000 * self.coursedir.max_dir_size
        if size > limit:
            message = i18n.both("hub.hand_in_too_big", size=round(size / 1e6), limit=round(limit / 1e6))
            self.log.error(message)
            raise HandInTooBig(message)
        return super().do_copy(src, dest, log=log)
