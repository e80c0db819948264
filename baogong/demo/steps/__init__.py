"""What happens on each day of the Baoshan 2022 replay. Every change is an app's action.

- :mod:`.preparation` before the first day (:func:`prepare`)
- :mod:`.days` each day (:func:`replay_day`) and the end (:func:`finish`)
- :mod:`.relief` rent relief for market tenants
- :mod:`.extra` fuel stations, farm and industry inputs, reopening inspections
- :mod:`._common` names the steps share
"""

from baogong.demo.steps.days import finish, replay_day
from baogong.demo.steps.preparation import prepare

__all__ = ["finish", "prepare", "replay_day"]
