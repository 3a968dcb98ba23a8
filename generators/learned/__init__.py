"""Shared scaffolding of the trainable generators (``diffusion``, ``gan``, and the ones built on them).

Modules (one concern each)
--------------------------
``sectioned_config``      :class:`SectionedConfig`: dataclass configs of sections; presets, dict/YAML/JSON
                          loading, ``key=value`` overrides, validation (``ConfigError`` naming the key)
``movement_config``       the ``data`` and ``augment`` sections (:class:`DataConfig`, :class:`AugmentConfig`)
``split``                 :func:`train_val_split`: validation split by user (default) or by movement
``run_data``              :func:`split_for_training` (split, ``max_train``, zero-displacement filter),
                          :func:`build_encoder`
``batches``               :class:`ShuffledBatches`, :func:`augment_batch`, :func:`training_goal`
``ema``                   :class:`EMA` of the weights used for sampling
``lr_schedule``           :func:`warmup_cosine_lr`: linear warm-up, then cosine decay to 10%
``checkpoint``            :class:`CheckpointFormat` (safe save/resolve/load of checkpoint directories),
                          :func:`save_tensor_dict`, :func:`load_tensor_dict`
``run_directory``         run-directory rules, ``--device``, ``metrics.jsonl``, the resumed configuration
``training_run``          :class:`TrainingRun`: the template of a training run, :class:`TrainingResult`
``batched_sampling``      lengths and goals from endpoints, generation in chunks of similar length, decoding
``checkpoint_generator``  :class:`CheckpointGenerator`: the registry-facing generator (load, sample, save,
                          fit, ``build_config`` and ``train_run`` for ``deval train-generator``)

How to add a trainable generator
--------------------------------
Say ``my-gen`` in ``generators/my_gen/`` (list the package in ``pyproject.toml``):

1. ``config.py``: its own sections and presets::

       @dataclass
       class MyConfig(SectionedConfig):
           SECTIONS: ClassVar[dict] = {"data": DataConfig, "augment": AugmentConfig, "model": MyModel,
                                       "train": MyTrain}
           PRESETS: ClassVar[tuple] = ("smoke", "small")
           GENERATOR_TAG: ClassVar[str] = "my-gen"          # tells its checkpoints from others'
           LABEL: ClassVar[str] = "my-gen"
           data: DataConfig = field(default_factory=DataConfig)
           ...                                               # one field per section
           seed: int = 0
           preset: str = "small"
           generator: str = "my-gen"
           def apply_preset(self, name): ...                 # e.g. shrink everything for "smoke"
           def checks(self): return super().checks() + [(self.model.width > 0, "model.width must be > 0")]

   ``train`` needs ``batch_size``, ``steps``, ``val_every``, ``val_samples``
   and ``num_threads``; override ``movements_per_step()`` when a step uses
   more than one batch (it converts ``--epochs`` and the ``epoch`` column).

2. ``checkpoint.py``: ``MY_CHECKPOINTS = CheckpointFormat(MyConfig, label="my-gen", source="my-gen")``
   (subclass it and override ``write_encoder`` / ``read_encoder`` for a representation other
   than :class:`~deval.generators.diffusion.representation.MovementEncoder`).

3. ``trainer.py``: a :class:`TrainingRun` subclass with ``checkpoint_format``, ``name`` and
   ``build()`` (networks, EMA, optimisers), ``state_objects()`` (what ``--resume`` restores),
   ``sampling_state_dict()`` (``model.pt``), ``train_step()`` (one step; draw batches with
   ``self.batches.next()``, ``augment_batch``, ``training_goal``, randomness from ``self.rng``;
   return a dict of floats), ``validation_losses()`` (on ``self.val_batch``) and
   ``sample_validation(cond, seed)``. Optional: ``fit_encoder``, ``train_stats``,
   ``progress_postfix``, ``before_training`` / ``after_training``, ``result``, ``score_keys``,
   ``split_data`` (another split than by user) and ``generation_metrics`` (other validation metrics
   than goal accuracy and realism, e.g. ``action-diffusion``'s reconstruction and gesture mix).

4. ``generator.py``: a :class:`CheckpointGenerator` subclass with ``name``, ``description``,
   ``param_specs`` (``CHECKPOINT_PARAM``, ``DEVICE_PARAM``, sampling options),
   ``checkpoint_format``, ``training_run_class()``, ``build_network(config, encoder)`` and
   ``_sample_movements(net, encoder, cond, seed)`` (usually :func:`movements_for` around
   :func:`generate_by_length` with the network's call). Register it in
   ``deval.generators.registry.BUILTINS``; ``deval train-generator my-gen`` and
   ``deval generate-negatives --source my-gen --checkpoint DIR`` then work.

The package imports nothing heavy itself; import the modules you need.
"""
