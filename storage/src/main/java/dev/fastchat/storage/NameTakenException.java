package dev.fastchat.storage;

/** A new account (or group) asked for a name that is already in use. */
public class NameTakenException extends RuntimeException {
    private final String name;

    public NameTakenException(String name) {
        super("the name '" + name + "' is taken");
        this.name = name;
    }

    public String name() {
        return name;
    }
}
