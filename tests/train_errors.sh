#!/usr/bin/env bash
echo "train_errors: placeholder"
