import { decideChangeRequest } from "@/lib/api/change-request-decisions";

export const POST = decideChangeRequest("approve");
