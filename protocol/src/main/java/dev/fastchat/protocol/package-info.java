/**
 * The FastChat wire protocol: generated protobuf messages in {@code dev.fastchat.protocol.v1}, the
 * length-prefixed frame codec, limits, the protocol version and the name rules shared by server and
 * client. See {@code docs/protocol.md}.
 */
package dev.fastchat.protocol;
