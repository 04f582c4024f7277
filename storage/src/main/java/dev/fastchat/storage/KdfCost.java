package dev.fastchat.storage;

/** Argon2id cost an account's auth key was derived with, kept so it can be raised later. */
public record KdfCost(int memoryKib, int iterations, int parallelism) {}
