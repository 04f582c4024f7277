/**
 * Storage in domain terms: repository interfaces and the records they speak, with no JDBC types.
 * Implementations on JDBC (SQLite and PostgreSQL) live in {@code dev.fastchat.storage.jdbc}.
 */
package dev.fastchat.storage;
