"""Saved studio settings feed every run started from the studio."""

from semi_core.studio_settings import pipeline_settings, update


def test_saved_settings_are_the_base_and_a_runs_choices_win(store):
    update(store, {"min_usable_tests": 5, "timeout_s": 1.5, "backend": "openai"})
    settings = pipeline_settings(store, backend="offline", inputs_per_pair=4)
    assert (settings.min_usable_tests, settings.timeout_s) == (5, 1.5)
    assert (settings.backend, settings.inputs_per_pair) == ("offline", 4)
