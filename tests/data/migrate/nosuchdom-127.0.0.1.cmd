xl migrate nosuchdom 127.0.0.1
