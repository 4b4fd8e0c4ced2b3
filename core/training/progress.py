"""AutoGluon fit callback that reports each model as soon as it is trained.

Its own module (importing AutoGluon) so the worker can say "started" before that slow
import, and so the callback pickles with the trainer.
"""

from autogluon.core.callbacks import AbstractCallback

from core.analysis.metrics import natural


class Progress(AbstractCallback):
    def __init__(self, events, greater_is_better: bool):
        super().__init__()
        self.events = events
        self.greater_is_better = greater_is_better

    def _before_model_fit(self, trainer, model, time_limit=None, stack_name="core", level=1):
        self.events.emit("fitting", model=model.name, time_left=time_limit, stack_level=level)
        return False, False

    def _after_model_fit(self, trainer, model_names, stack_name="core", level=1):
        for name in model_names:
            def get(attr):
                return trainer.get_model_attribute(model=name, attribute=attr)

            self.events.emit("model", model=name, score_val=natural(get("val_score"), self.greater_is_better),
                             fit_time=get("fit_time"), predict_time=get("predict_time"), stack_level=level)
        return False
