"""Two-stage keyframe diffusion generator of pointer movements (registered as ``keyframe-diffusion``).

Anchor density is the noise level. Stage 1 (:mod:`.keypoint_model`) is a
small transformer DDPM over K keypoint tokens that samples the sparse anchors
of a movement from Gaussian noise, conditioned on the goal. Stage 2
(:mod:`.fill_in_model`) learns ``f(x_s, M_s, s, goal) -> x0`` from movements
corrupted by interpolation between nested anchor sets (:mod:`.anchor_masks`,
:mod:`.interpolation`); at inference it interpolates the stage-1 keypoints
and jumps to the clean movement in one call (or chunk by chunk,
:mod:`.causal_fill_in`). Then a clamp policy (:mod:`.clamp`) and the exact
decoding of the diffusion package (:mod:`.positions`).

Modules
-------
``anchor_masks``        keypoint indices, nested anchor masks per level
``interpolation``       ``Interp(x | M)``, the corruption
``positions``           normalised canonical positions, goal, decoding to pixels
``keypoint_model``      stage 1 (DDPM over keypoints) and its sampler loop
``fill_in_model``       stage 2 network, corruption, loss, one-step / multi-step fill-in
``causal_fill_in``      stage 2 in chunks, left to right
``clamp``               clamp policies
``bootstrap``           scheduled bootstrapping of stage 2 on stage-1 anchors
``model``               both networks in one module
``two_stage_sampling``  conditions -> movements; recording of one movement's denoising
``frames``              PNG frames, GIF and MP4 of that recording
``config``              sections and presets (``smoke``, ``small``)
``checkpoint``          the checkpoint format (shared layout, own representation)
``trainer``             the training run (both stages per step, bootstrapping schedule)
``generator``           ``KeyframeDiffusionGenerator``, the registry entry

Training, checkpoints, validation and batched sampling are the shared ones of
:mod:`deval.generators.learned`; the representation and the samplers come from
:mod:`deval.generators.diffusion`.
"""
