-- GET the URL again and again (headers from -H).
done = require("report").done
