console.log("fastchat test asset");
