import { describeConvergence } from './convergence.js';

describeConvergence('fs-cw');
