/** The loss of one training step, as `fit` records it. */
export interface StepRecord {
  /** Global step number, 1-based, counted across epochs. */
  readonly step: number;
  readonly epoch: number;
  readonly loss: number;
  /** The learning rate the step used. */
  readonly lr: number;
}

/** What one epoch of `fit` measured. Accuracies are fractions in [0, 1]. */
export interface EpochRecord {
  /** 1-based. */
  readonly epoch: number;
  /** Mean training loss over the epoch's steps. */
  readonly loss: number;
  /** Training accuracy over the epoch's examples, when an accuracy metric is configured. */
  readonly accuracy?: number;
  /** Held-out loss after the epoch, when validation data is given. */
  readonly valLoss?: number;
  readonly valAccuracy?: number;
  /** The learning rate of the epoch's last step. */
  readonly lr: number;
  /** Wall time of the epoch (training and validation). */
  readonly seconds: number;
  readonly examplesPerSecond: number;
}

/** Everything `fit` recorded: every step's loss and every epoch's summary. */
export interface TrainingHistory {
  readonly steps: readonly StepRecord[];
  readonly epochs: readonly EpochRecord[];
}
