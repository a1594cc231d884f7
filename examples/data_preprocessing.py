"""Data preprocessing with pandas into tensors (d2l 2.2; study note 001).

Run: python examples/data_preprocessing.py [data_dir]
Writes house_tiny.csv, fills the missing NumRooms with the mean, one-hot encodes
Alley (with a column for NaN) and converts the table into tensors.
"""

import os
import sys

import pandas as pd

import glasstorch as torch


def write_house_tiny(data_dir):
    os.makedirs(data_dir, exist_ok=True)
    data_file = os.path.join(data_dir, "house_tiny.csv")
    with open(data_file, "w") as f:
        f.write("NumRooms,Alley,Price\n")  # column names
        f.write("NA,Pave,127500\n")  # each row is one example
        f.write("2,NA,106000\n")
        f.write("4,NA,178100\n")
        f.write("NA,NA,140000\n")
    return data_file


def main(data_dir=os.path.join("..", "data")):
    data = pd.read_csv(write_house_tiny(data_dir))
    print(data)
    inputs, outputs = data.iloc[:, 0:2], data.iloc[:, 2]
    inputs = inputs.fillna(inputs.mean(numeric_only=True))  # fill NaN with the column mean
    print(inputs)
    inputs = pd.get_dummies(inputs, dummy_na=True)  # a 0/1 column per category, NaN included
    print(inputs)
    X = torch.tensor(inputs.to_numpy(dtype=float))
    y = torch.tensor(outputs.to_numpy())
    print(X, y, sep="\n")
    return X, y


if __name__ == "__main__":
    main(*sys.argv[1:])
