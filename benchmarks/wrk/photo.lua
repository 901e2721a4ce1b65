-- POST a photo as multipart/form-data: args are the body's file and its
-- Content-Type (with the boundary). The CSRF cookie and header come as -H.
done = require("report").done
local body

function init(args)
  local file = assert(io.open(args[1], "rb"))
  body = file:read("*a")
  file:close()
  -- wrk.format() sends wrk.headers (the -H ones too) with what is added here.
  wrk.headers["Content-Type"] = args[2]
end

function request()
  return wrk.format("POST", nil, nil, body)
end
