"""Modelling on strategy features: labels, splits, model families, ONNX export, drift references,
and the objectives and overfitting checks of strategy optimisation. Pure code (numpy, sklearn,
LightGBM, ONNX): the trainer's job runners do the I/O around it.

    outcome = train_model(spec, bars, training_config, backtest_config)   # see `training`
"""
