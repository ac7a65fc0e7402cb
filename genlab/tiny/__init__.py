"""The shapes world and the tiny models genlab ships and trains (the bottom layer: it imports only
genlab.settings). world: scenes, clips and captions; architecture and tokenizer: the tiny SD parts;
train: `genlab tiny train`; the pixel evaluator reads what a picture shows; cli: `genlab tiny ...`."""
