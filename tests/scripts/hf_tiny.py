"""A tiny BERT built from a config (nothing downloaded) under the Hugging Face Trainer.

argv[1]: learning rate; argv[2]: 'run' (plain) or 'callback'. The label says whether
token 7 occurs in the sequence: a rule a healthy run learns in a few hundred steps."""

import json
import sys
import tempfile

import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

lr, mode = float(sys.argv[1]), sys.argv[2]
torch.manual_seed(0)
tokens = torch.randint(8, 64, (512, 12))
labels = (torch.rand(512) < 0.5).long()
tokens[labels == 1, torch.randint(0, 12, (int(labels.sum()),))] = 7


class Rows(torch.utils.data.Dataset):
    def __len__(self):
        return len(labels)

    def __getitem__(self, i):
        return {"input_ids": tokens[i], "labels": labels[i]}


config = BertConfig(
    vocab_size=64,
    hidden_size=32,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=16,
    num_labels=2,
)
model = BertForSequenceClassification(config)
args = TrainingArguments(
    output_dir=tempfile.mkdtemp(),
    num_train_epochs=8,
    per_device_train_batch_size=32,
    learning_rate=lr,
    report_to=[],
    save_strategy="no",
    logging_strategy="no",
    use_cpu=True,
    seed=0,
    disable_tqdm=True,
)
callbacks = []
if mode == "callback":
    from nndoctor.transformers import DiagnosisCallback

    doctor = DiagnosisCallback()
    callbacks.append(doctor)
Trainer(model=model, args=args, train_dataset=Rows(), callbacks=callbacks).train()
with torch.no_grad():
    accuracy = (model(input_ids=tokens).logits.argmax(1) == labels).float().mean().item()
print(f"train accuracy {accuracy:.3f}")
if mode == "callback":
    report = doctor.report()
    print(json.dumps({"ids": report.ids, "healthy": report.healthy}))
